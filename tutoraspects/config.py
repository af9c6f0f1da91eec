"""Configuration of the `aspects` plugin: defaults, generated secrets, overrides, init tasks.

Keys are written short here; ``prefixed`` adds the ``ASPECTS_`` prefix in one place, so every
key an operator sees is ``ASPECTS_…`` (no clash with other plugins' ``CLICKHOUSE_HOST``…).
Values may be Jinja strings: Tutor renders them against the whole configuration.
Nothing here hashes, reads files or opens connections: importing the plugin stays instant.
"""

from __future__ import annotations

import typing as t

PREFIX = "ASPECTS_"

# The three Instructor Dashboard tabs (Superset dashboards) shipped by default.
INSTRUCTOR_DASHBOARDS = [
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
]

DEFAULTS: dict[str, t.Any] = {
    # Which services this plugin runs (False = bring your own, e.g. ClickHouse Cloud).
    "RUN_CLICKHOUSE": True,
    "RUN_SUPERSET": True,
    "RUN_RALPH": True,
    # Images.
    "DOCKER_IMAGE_CLICKHOUSE": "docker.io/clickhouse/clickhouse-server:25.8",
    # Built by `tutor images build aspects-superset` (upstream Superset + ClickHouse driver).
    "DOCKER_IMAGE_SUPERSET": (
        "{{ DOCKER_REGISTRY }}tutor-aspects/superset:6.0.0-{{ ASPECTS_VERSION }}"
    ),
    "SUPERSET_BASE_IMAGE": "docker.io/apache/superset:6.0.0",
    "SUPERSET_EXTRA_PIP_REQUIREMENTS": ["clickhouse-connect>=0.8"],
    "DOCKER_IMAGE_RALPH": "docker.io/fundocker/ralph:5.1.0",
    # In-platform app: "" installs it from the plugin's own files; any pip spec replaces that.
    "PLATFORM_PIP_SPEC": "",
    # ClickHouse.
    "CLICKHOUSE_HOST": "clickhouse",
    "CLICKHOUSE_HTTP_PORT": 8123,
    "CLICKHOUSE_SECURE": False,
    "CLICKHOUSE_CLUSTER_NAME": "",
    "CLICKHOUSE_TIMEOUT_SECS": 5,
    "CLICKHOUSE_ADMIN_USER": "ch_admin",
    "CLICKHOUSE_LMS_USER": "ch_lms",
    "CLICKHOUSE_SUPERSET_USER": "ch_superset",
    "CLICKHOUSE_RALPH_USER": "ch_ralph",
    "CLICKHOUSE_K8S_VOLUME_SIZE": "10Gi",
    "EVENT_SINK_DATABASE": "event_sink",
    "XAPI_DATABASE": "xapi",
    "XAPI_TABLE": "xapi_events_all",
    # Materialized reporting objects that Superset's ClickHouse user reads (docs/clickhouse.md).
    "REPORTING_DATABASE": "reporting",
    # Which objects the LMS/CMS stream into ClickHouse. PII objects also need ENABLE_PII.
    "ENABLE_PII": False,
    "SINK_COURSE_OVERVIEWS": True,
    "SINK_COURSE_ENROLLMENT": True,
    "SINK_USER_PROFILE": True,
    "SINK_EXTERNAL_ID": True,
    "SINK_AUTH_USER": True,
    # Superset.
    "SUPERSET_HOST": "superset.{{ LMS_HOST }}",
    "SUPERSET_PORT": 8088,
    "SUPERSET_URL": (
        "{% if ENABLE_HTTPS %}https{% else %}http{% endif %}://{{ ASPECTS_SUPERSET_HOST }}/"
    ),
    # Metadata database; the default lives on the superset data volume. Set a MySQL/PostgreSQL
    # SQLAlchemy URI for production (the file holds it; job command lines never do).
    "SUPERSET_DB_URI": "sqlite:////app/superset_home/superset.db",
    "SUPERSET_ADMIN_USER": "aspects_admin",
    "SUPERSET_LMS_USER": "aspects_lms",
    "SUPERSET_K8S_VOLUME_SIZE": "1Gi",
    "SUPERSET_DASHBOARD_LOCALES": ["en"],
    "SUPERSET_EXTRA_FILTERS_FORMAT": [],
    "INSTRUCTOR_DASHBOARDS": INSTRUCTOR_DASHBOARDS,
    # Open edX service user that Superset logs in as (LMS side).
    "LMS_SERVICE_USER": "aspects_superset",
    # xAPI pipeline: celery (default), redis_bus, kafka_bus or vector (see xapi_settings.py).
    "XAPI_PIPELINE": "celery",
    "EVENT_ROUTING_BATCHING": True,
    "EVENT_ROUTING_BATCH_SIZE": 100,
    "EVENT_ROUTING_BATCH_INTERVAL": 5,
    "EVENT_BUS_TOPIC_PREFIX": "openedx",
    "EVENT_BUS_REDIS_URL": "redis://{{ REDIS_HOST }}:{{ REDIS_PORT }}/",
    "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    "VECTOR_API_PORT": 8686,
    # Ralph (xAPI LRS) writing into ClickHouse.
    "RALPH_PORT": 8100,
    "RALPH_ADMIN_USER": "ralph_admin",
    "RALPH_LMS_USER": "ralph_lms",
}

# Generated once, on the first `tutor config save`, then kept in config.yml.
UNIQUE: dict[str, str] = {
    "CLICKHOUSE_ADMIN_PASSWORD": "{{ 24|random_string }}",
    "CLICKHOUSE_LMS_PASSWORD": "{{ 24|random_string }}",
    "CLICKHOUSE_SUPERSET_PASSWORD": "{{ 24|random_string }}",
    "CLICKHOUSE_RALPH_PASSWORD": "{{ 24|random_string }}",
    "SUPERSET_SECRET_KEY": "{{ 48|random_string }}",
    "SUPERSET_ADMIN_PASSWORD": "{{ 24|random_string }}",
    "SUPERSET_LMS_PASSWORD": "{{ 24|random_string }}",
    "RALPH_ADMIN_PASSWORD": "{{ 24|random_string }}",
    "RALPH_LMS_PASSWORD": "{{ 24|random_string }}",
}

# Values this plugin sets for keys owned by Tutor or other plugins (none yet).
OVERRIDES: dict[str, t.Any] = {}

# Images this plugin builds: (name for `tutor images build NAME`, Dockerfile folder, tag).
IMAGES: list[tuple[str, tuple[str, ...], str]] = [
    (
        "aspects-superset",
        ("plugins", "aspects", "build", "aspects-superset"),
        "{{ ASPECTS_DOCKER_IMAGE_SUPERSET }}",
    ),
]

# Init tasks of `tutor … do init`, by name: (service whose `-job` runs it, script template).
# The `do init-clickhouse` / `do import-superset-assets` commands re-run the same templates.
INIT_TASKS: dict[str, tuple[str, str]] = {
    "clickhouse": ("aspects", "aspects/jobs/init/clickhouse.sh"),
    "superset": ("superset", "aspects/jobs/init/superset.sh"),
    "lms": ("lms", "aspects/jobs/init/lms.sh"),
}


def prefixed(values: dict[str, t.Any]) -> list[tuple[str, t.Any]]:
    """Return ``values`` as Tutor config items, each key carrying the ``ASPECTS_`` prefix."""
    return [(f"{PREFIX}{key}", value) for key, value in values.items()]


def task_script(template: str) -> str:
    """A task script that Tutor expands at run time (no file is read when the plugin loads)."""
    return '{% include "' + template + '" %}'
