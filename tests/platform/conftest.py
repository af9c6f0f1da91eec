"""Platform tier: pytest-django on the sandbox LMS + the shared ``clickhouse`` fixture."""

import time

import pytest

from tests import tiers

SINK_TABLES = (
    "course_overviews",
    "course_blocks",
    "user_profile",
    "external_id",
    "course_enrollment",
    "taxonomy",
    "tag",
    "object_tag",
)


def pytest_configure(config) -> None:
    """Point Django at the platform test settings."""
    tiers.setup_sandbox_lms()


@pytest.fixture
def backend_config(clickhouse) -> dict:
    """EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG for the test ClickHouse."""
    return tiers.backend_config(clickhouse)


@pytest.fixture
def ch(clickhouse):
    """A client on the event sink database."""
    client = clickhouse.client(database=clickhouse.event_sink_database)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def fresh_request_cache():
    """Each test starts with an empty request cache, as edx-platform's test cases do (the
    modulestore and CourseOverview.get_from_id keep what they load there)."""
    from edx_django_utils.cache import RequestCache

    RequestCache.clear_all_namespaces()
    yield
    RequestCache.clear_all_namespaces()


@pytest.fixture(autouse=True)
def sink_backend(settings, backend_config, ch, clickhouse):
    """Every test starts with empty sink tables and the sinks pointed at the test ClickHouse."""
    from aspects_platform import tasks

    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = backend_config
    for table in SINK_TABLES:
        ch.command(f"TRUNCATE TABLE IF EXISTS `{table}`")
    # Filled from user_profile/external_id by materialized views (the reporting PII table).
    ch.command(f"TRUNCATE TABLE IF EXISTS `{clickhouse.reporting_database}`.`learner_pii`")
    yield
    tasks._forget_clients()


def select(ch, sql: str, **parameters) -> list[tuple]:
    """Rows of a query on the event sink database."""
    return ch.query(sql, parameters=parameters).result_rows


def latest_outline(ch, course_key, columns: str) -> list[tuple]:
    """The course's current outline as dashboards read it (docs/clickhouse.md): the rows, after
    FINAL, whose time_last_dumped is the course's latest, in outline order."""
    return select(
        ch,
        f"SELECT {columns} FROM course_blocks FINAL WHERE course_key = {{k:String}} "  # noqa: S608
        "AND time_last_dumped = (SELECT max(time_last_dumped) FROM course_blocks "
        "WHERE course_key = {k:String}) ORDER BY `order`",
        k=str(course_key),
    )


def naive_utc(value):
    """A datetime as naive UTC (clickhouse-connect may return either form)."""
    from datetime import UTC

    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def wait_for(predicate, timeout: float = 30.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def worker():
    """A real Celery worker in this process (memory broker), instead of eager tasks."""
    from celery.contrib.testing.worker import start_worker

    from sandbox.lms.celery import APP

    APP.conf.task_always_eager = False
    try:
        with start_worker(APP, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        APP.conf.task_always_eager = True


@pytest.fixture
def merges_stopped(ch):
    """Stop background merges of the sink tables, so a test can count every row inserted.

    ReplacingMergeTree merges collapse the rows of one key at any time (the latest wins).
    """
    for table in SINK_TABLES:
        ch.command(f"SYSTEM STOP MERGES `{table}`")
    yield
    for table in SINK_TABLES:
        ch.command(f"SYSTEM START MERGES `{table}`")
