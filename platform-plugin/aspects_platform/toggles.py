"""Sink switches: setting ``EVENT_SINK_CLICKHOUSE_<NAME>_ENABLED`` OR a waffle flag.

The waffle flag is ``event_sink_clickhouse.<name>.enabled`` (edx-toggles ``WaffleFlag``).
"""

from functools import cache

from django.apps import apps
from django.conf import settings

WAFFLE_FLAG_NAMESPACE = "event_sink_clickhouse"


def setting_name(switch: str) -> str:
    """Name of the Django setting that turns on the sink called ``switch``."""
    return f"EVENT_SINK_CLICKHOUSE_{switch.upper()}_ENABLED"


def waffle_flag_name(switch: str) -> str:
    """Name of the waffle flag that turns on the sink called ``switch``."""
    return f"{WAFFLE_FLAG_NAMESPACE}.{switch}.enabled"


@cache
def waffle_flag(switch: str):
    """The edx-toggles ``WaffleFlag`` of a sink (created once per name)."""
    from edx_toggles.toggles import WaffleFlag

    # .. toggle_name: event_sink_clickhouse.<name>.enabled
    # .. toggle_implementation: WaffleFlag
    # .. toggle_default: False
    # .. toggle_description: Turns on the ClickHouse sink <name> (OR-ed with the setting
    #    EVENT_SINK_CLICKHOUSE_<NAME>_ENABLED).
    # .. toggle_use_cases: open_edx
    # .. toggle_creation_date: 2026-11-24
    return WaffleFlag(waffle_flag_name(switch), module_name=__name__)


def is_enabled(switch: str) -> bool:
    """True when the setting or the waffle flag of ``switch`` is on."""
    if getattr(settings, setting_name(switch), False):
        return True
    if not apps.is_installed("waffle"):
        return False
    return bool(waffle_flag(switch).is_enabled())


def how_to_enable(switch: str) -> str:
    """One sentence telling an operator how to turn ``switch`` on."""
    return (
        f"set {setting_name(switch)} = True or turn on the waffle flag {waffle_flag_name(switch)}"
    )
