"""The LMS/CMS settings the plugin adds (`openedx-common-settings`), written as Python source.

Built in Python rather than Jinja: Tutor renders this patch once per settings file (four
times per `tutor config save`), and every value is written with ``repr`` so that quotes or
backslashes in a password can neither break nor inject code into the settings module.
"""

from __future__ import annotations

import functools
import inspect
import typing as t

from jinja2 import pass_context
from jinja2.runtime import Context

from . import derived, filters_merge
from .templating import python_literal
from .xapi_settings import consumer_command, xapi_settings

# Sink objects with no personal data, and those enabled only with ASPECTS_ENABLE_PII.
# `auth_user` is the user-retirement sink: it deletes a retired user's rows from PII tables.
# It does not depend on ASPECTS_ENABLE_PII: after PII is turned off, rows dumped while it was
# on still exist and must still follow their users' retirement (deleting nothing is harmless).
SINK_OBJECTS = (
    "course_overviews",
    "course_enrollment",
    "auth_user",
    "taxonomy",
    "tag",
    "object_tag",
)
PII_SINK_OBJECTS = ("user_profile", "external_id")
# ClickHouse tables holding personal data (purged on user retirement).
PII_TABLES = ["user_profile", "external_id"]

# Reports-tab steps: filter type -> pipeline step, appended to OPEN_EDX_FILTERS_CONFIG.
FILTER_STEPS = {
    "org.openedx.learning.instructor.dashboard.render.started.v1": (
        "aspects_platform.filters.AddSupersetTab"
    ),
    "org.openedx.learning.instructor.dashboard.tabs.requested.v1": (
        "aspects_platform.filters.AddSupersetTabToInstructorDashboard"
    ),
}


@functools.cache
def merge_filters_source() -> str:
    """Settings source that merges FILTER_STEPS into OPEN_EDX_FILTERS_CONFIG (read once)."""
    function = inspect.getsource(filters_merge.merge_filter_steps)
    return (
        function.replace("def merge_filter_steps(", "def _aspects_merge_filter_steps(", 1)
        + "\nOPEN_EDX_FILTERS_CONFIG = _aspects_merge_filter_steps(\n"
        + '    globals().get("OPEN_EDX_FILTERS_CONFIG"), '
        + python_literal(FILTER_STEPS)
        + "\n)\ndel _aspects_merge_filter_steps"
    )


def enabled_sinks(config: t.Mapping[str, t.Any]) -> list[str]:
    """Sink objects switched on; PII ones only when ASPECTS_ENABLE_PII is on too."""
    candidates = SINK_OBJECTS + (PII_SINK_OBJECTS if config["ASPECTS_ENABLE_PII"] else ())
    return [name for name in candidates if config[f"ASPECTS_SINK_{name.upper()}"]]


def common_settings(config: t.Mapping[str, t.Any]) -> str:
    """Python source of the settings shared by the LMS and the CMS."""
    backend = {
        "url": derived.clickhouse_url(config),
        "username": config["ASPECTS_CLICKHOUSE_LMS_USER"],
        "password": config["ASPECTS_CLICKHOUSE_LMS_PASSWORD"],
        "database": config["ASPECTS_EVENT_SINK_DATABASE"],
        "timeout_secs": config["ASPECTS_CLICKHOUSE_TIMEOUT_SECS"],
        "xapi_database": config["ASPECTS_XAPI_DATABASE"],
        "xapi_table": config["ASPECTS_XAPI_TABLE"],
        "reporting_database": config["ASPECTS_REPORTING_DATABASE"],
        "cluster": config["ASPECTS_CLICKHOUSE_CLUSTER_NAME"],
    }
    superset = {
        "service_url": config["ASPECTS_SUPERSET_URL"],
        "internal_service_url": derived.superset_internal_url(config),
        "username": config["ASPECTS_SUPERSET_LMS_USER"],
        "password": config["ASPECTS_SUPERSET_LMS_PASSWORD"],
        "guest_token_jwt_secret": config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_SECRET"],
        "guest_token_jwt_audience": config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_AUDIENCE"],
    }
    lines = [
        '# Aspects (tutor-aspects): ClickHouse event sinks and the Superset "Reports" tab.',
        f"EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {python_literal(backend)}",
        f"EVENT_SINK_CLICKHOUSE_PII_MODELS = {python_literal(PII_TABLES)}",
        # PII off: no setting or waffle flag can turn a PII sink on in the LMS/CMS.
        f"EVENT_SINK_CLICKHOUSE_PII_ENABLED = {bool(config['ASPECTS_ENABLE_PII'])!r}",
        *(f"EVENT_SINK_CLICKHOUSE_{name.upper()}_ENABLED = True" for name in enabled_sinks(config)),
        f"SUPERSET_CONFIG = {python_literal(superset)}",
        "ASPECTS_INSTRUCTOR_DASHBOARDS = "
        + python_literal(config["ASPECTS_INSTRUCTOR_DASHBOARDS"]),
        "SUPERSET_EXTRA_FILTERS_FORMAT = "
        + python_literal(config["ASPECTS_SUPERSET_EXTRA_FILTERS_FORMAT"]),
        "SUPERSET_DASHBOARD_LOCALES = "
        + python_literal(config["ASPECTS_SUPERSET_DASHBOARD_LOCALES"]),
        merge_filters_source(),
        *xapi_settings(config),
    ]
    if config["ASPECTS_RUN_RALPH"]:
        lrs = {
            "route_url": derived.ralph_xapi_url(config),
            "username": config["ASPECTS_RALPH_LMS_USER"],
            "password": config["ASPECTS_RALPH_LMS_PASSWORD"],
        }
        # Read by the LMS init task, which routes xAPI statements to Ralph with it.
        lines.append(f"ASPECTS_XAPI_LRS = {python_literal(lrs)}")
    return "\n".join(lines)


def development_settings(config: t.Mapping[str, t.Any]) -> str:
    """Python source of the development-only settings (the browser uses Superset's port)."""
    url = f"http://{config['ASPECTS_SUPERSET_HOST']}:{config['ASPECTS_SUPERSET_PORT']}/"
    return f'SUPERSET_CONFIG["service_url"] = {python_literal(url)}'


@pass_context
def _common_settings(context: Context) -> str:
    return common_settings(context)


@pass_context
def _development_settings(context: Context) -> str:
    return development_settings(context)


# Template functions: `{{ aspects_common_settings() }}` in the settings patches.
VARIABLES: list[tuple[str, t.Any]] = [
    ("aspects_common_settings", _common_settings),
    ("aspects_development_settings", _development_settings),
    ("aspects_event_bus_consumer_command", consumer_command),
]
