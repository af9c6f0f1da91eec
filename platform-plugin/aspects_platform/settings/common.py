"""Defaults for every setting the app reads (applied to the LMS/CMS settings module)."""

from typing import Any

#: Objects a sink can write, and the models they come from in edx-platform.
DEFAULT_MODEL_CONFIG: dict[str, dict[str, str]] = {
    "user_profile": {"module": "common.djangoapps.student.models", "model": "UserProfile"},
    "course_enrollment": {
        "module": "common.djangoapps.student.models",
        "model": "CourseEnrollment",
    },
    "external_id": {
        "module": "openedx.core.djangoapps.external_user_ids.models",
        "model": "ExternalId",
    },
    "course_overviews": {
        "module": "openedx.core.djangoapps.content.course_overviews.models",
        "model": "CourseOverview",
    },
    "auth_user": {"module": "django.contrib.auth.models", "model": "User"},
}

#: Names used in ``EVENT_SINK_CLICKHOUSE_<NAME>_ENABLED`` and the waffle flags.
SINK_SWITCH_NAMES = ("course_overviews", "user_profile", "external_id", "course_enrollment")
#: The retirement sink's switch (``EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED``).
RETIREMENT_SWITCH_NAME = "auth_user"


def defaults() -> dict[str, Any]:
    """Return a fresh copy of every default (mutable values are never shared)."""
    values: dict[str, Any] = {
        "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG": {
            "url": "http://clickhouse:8123",
            "username": "ch_lms",
            "password": "",
            "database": "event_sink",
            "timeout_secs": 5,
            "xapi_database": "xapi",
            "xapi_table": "xapi_events_all",
            "runs_table": "load_test_runs",
            "stats_table": "load_test_stats",
        },
        "EVENT_SINK_CLICKHOUSE_PII_MODELS": ["user_profile", "external_id"],
        "EVENT_SINK_CLICKHOUSE_MODEL_CONFIG": {k: dict(v) for k, v in DEFAULT_MODEL_CONFIG.items()},
        # Celery retries while ClickHouse is unreachable: delay = min(max, base * 2**attempt).
        "EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS": 5.0,
        "EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS": 600.0,
        "EVENT_SINK_CLICKHOUSE_MAX_RETRIES": 20,
    }
    for name in (*SINK_SWITCH_NAMES, RETIREMENT_SWITCH_NAME):
        values[f"EVENT_SINK_CLICKHOUSE_{name.upper()}_ENABLED"] = False
    return values


def plugin_settings(settings: Any) -> None:
    """Set each default unless the settings module already defines it."""
    for name, value in defaults().items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
