"""Production settings: values from the LMS/CMS YAML (``ENV_TOKENS``) win over the defaults."""

from typing import Any

from aspects_platform.settings.common import defaults

#: Dict settings are merged key by key, so a partial YAML value keeps the other keys.
MERGED_DICTS = (
    "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG",
    "EVENT_SINK_CLICKHOUSE_MODEL_CONFIG",
    "SUPERSET_CONFIG",
)


def plugin_settings(settings: Any) -> None:
    """Read every setting of this app from ``settings.ENV_TOKENS`` when present there."""
    env_tokens: dict[str, Any] = getattr(settings, "ENV_TOKENS", None) or {}
    for name, default in defaults().items():
        current = getattr(settings, name, default)
        if name not in env_tokens:
            setattr(settings, name, current)
        elif name in MERGED_DICTS and isinstance(env_tokens[name], dict):
            setattr(settings, name, {**current, **env_tokens[name]})
        else:
            setattr(settings, name, env_tokens[name])
