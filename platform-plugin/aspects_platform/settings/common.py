"""Defaults for every setting the app reads (applied to the LMS/CMS settings module)."""

from pathlib import Path
from typing import Any

#: Mako templates of the app (``instructor_dashboard/aspects.html`` for the legacy dashboard).
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

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
    # Users who asked to be retired (kept forever): PII sinks never write their rows, and
    # their usernames are never written anywhere.
    "user_retirement_request": {
        "module": "openedx.core.djangoapps.user_api.models",
        "model": "UserRetirementRequest",
    },
}

#: Names used in ``EVENT_SINK_CLICKHOUSE_<NAME>_ENABLED`` and the waffle flags.
SINK_SWITCH_NAMES = ("course_overviews", "user_profile", "external_id", "course_enrollment")
#: The retirement sink's switch (``EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED``).
RETIREMENT_SWITCH_NAME = "auth_user"

#: The Reports-tab dashboards (same defaults as the Tutor plugin's ASPECTS_INSTRUCTOR_DASHBOARDS).
DEFAULT_INSTRUCTOR_DASHBOARDS: tuple[dict[str, Any], ...] = (
    {
        "name": "Course Dashboard",
        "slug": "course-dashboard",
        "uuid": "c0e64194-33d1-4d5a-8c10-4f51530c5ee9",
        "allow_translations": True,
    },
    {
        "name": "Individual Learner Dashboard",
        "slug": "individual-learner",
        "uuid": "abae8a25-1ba4-4653-81bd-d3937a162a11",
        "allow_translations": True,
    },
    {
        "name": "At-Risk Learners Dashboard",
        "slug": "learner-groups",
        "uuid": "8661d20c-cee6-4245-9fcc-610daea5fd24",
        "allow_translations": True,
    },
)


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
            # The reporting objects (retirement deletes the learner_pii rows there too).
            "reporting_database": "reporting",
            "runs_table": "load_test_runs",
            "stats_table": "load_test_stats",
            # ClickHouse cluster name: retirement deletes run ON CLUSTER when it is set.
            "cluster": "",
        },
        "EVENT_SINK_CLICKHOUSE_PII_MODELS": ["user_profile", "external_id"],
        # Off: no sink in EVENT_SINK_CLICKHOUSE_PII_MODELS runs, whatever its setting or flag.
        "EVENT_SINK_CLICKHOUSE_PII_ENABLED": False,
        # Cluster retirements are submitted without waiting; confirmed this many seconds later.
        "EVENT_SINK_CLICKHOUSE_RETIREMENT_CONFIRM_SECS": 300.0,
        "EVENT_SINK_CLICKHOUSE_MODEL_CONFIG": {k: dict(v) for k, v in DEFAULT_MODEL_CONFIG.items()},
        # Celery retries while ClickHouse is unreachable: delay = min(max, base * 2**attempt).
        # One course dump per publish storm: the first COURSE_PUBLISHED schedules it this
        # many seconds later; publishes until it runs add nothing (tasks.enqueue_course_dump).
        "EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS": 30.0,
        "EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS": 5.0,
        "EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS": 600.0,
        "EVENT_SINK_CLICKHOUSE_MAX_RETRIES": 20,
        # Reports tab: no service_url means no tab (never a link to nowhere).
        "SUPERSET_CONFIG": {
            "service_url": "",
            "internal_service_url": "",
            "username": "",
            "password": "",
        },
        "ASPECTS_INSTRUCTOR_DASHBOARDS": [dict(d) for d in DEFAULT_INSTRUCTOR_DASHBOARDS],
        "SUPERSET_EXTRA_FILTERS_FORMAT": [],
        "SUPERSET_DASHBOARD_LOCALES": ["en"],
    }
    for name in (*SINK_SWITCH_NAMES, RETIREMENT_SWITCH_NAME):
        values[f"EVENT_SINK_CLICKHOUSE_{name.upper()}_ENABLED"] = False
    return values


def add_mako_templates_dir(settings: Any) -> None:
    """Append ``TEMPLATES_DIR`` (once) to ``MAKO_TEMPLATE_DIRS_BASE`` when that list exists."""
    dirs = getattr(settings, "MAKO_TEMPLATE_DIRS_BASE", None)
    if isinstance(dirs, list) and not any(Path(d) == TEMPLATES_DIR for d in dirs):
        dirs.append(TEMPLATES_DIR)


def apply_defaults(settings: Any) -> None:
    """Set each default unless ``settings`` already defines it."""
    for name, value in defaults().items():
        if not hasattr(settings, name):
            setattr(settings, name, value)


def plugin_settings(settings: Any) -> None:
    """Set each default unless the settings module already defines it; add the Mako dir."""
    apply_defaults(settings)
    add_mako_templates_dir(settings)
