"""xAPI tier: a real Ralph (its own virtualenv) writing to the test ClickHouse as its own user.

Tests here are marked ``xapi`` (slow: Ralph's virtualenv is created on first use); ``make test``
and ``.ci/run`` run them.
"""

import importlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import redis_server
from sandbox.ralph.process import ClickHouseLogin, RalphServer

XAPI_TABLE = "xapi_events_all"


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "/xapi/" in str(item.fspath):
            item.add_marker(pytest.mark.xapi)


@pytest.fixture(scope="session")
def ralph(clickhouse, tmp_path_factory) -> RalphServer:
    """Ralph on a free port; ClickHouse user ``ralph`` (INSERT/SELECT on the xAPI table)."""
    if clickhouse.is_embedded:
        name = "ralph"
        password = clickhouse.embedded.service_password(name)
    else:
        from aspects_platform.clickhouse.users import ServiceUser, apply_users

        name, password = f"ralph_{secrets.token_hex(4)}", secrets.token_hex(16)
        apply_users(clickhouse.client(), [ServiceUser("ralph", name, password)], clickhouse.schema)
    login = ClickHouseLogin(clickhouse.url, name, password, clickhouse.xapi_database, XAPI_TABLE)
    server = RalphServer(tmp_path_factory.mktemp("ralph"), login)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def xapi_ch(clickhouse):
    client = clickhouse.client(database=clickhouse.xapi_database)
    yield client
    client.close()


@pytest.fixture
def xapi_pipeline(ralph, clickhouse, settings, backend_config, xapi_ch, ch, transactional_db):
    """Empty xAPI and load-test tables, ERB's caches and batch empty, the LMS routed to Ralph."""
    from django.apps import apps
    from django_redis import get_redis_connection
    from event_routing_backends import helpers

    from sandbox.lms.xapi_router import configure_router

    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **backend_config,
        "xapi_database": clickhouse.xapi_database,
        "xapi_table": XAPI_TABLE,
    }
    xapi_ch.command(f"TRUNCATE TABLE `{XAPI_TABLE}`")
    for table in ("load_test_runs", "load_test_stats"):
        ch.command(f"TRUNCATE TABLE `{table}`")
    get_redis_connection().flushdb()
    helpers.get_course_from_id.cache_clear()
    helpers.get_anonymous_user_id.cache_clear()
    # A transactional test flushes the data migration's rows: create them the same way again.
    migration = importlib.import_module(
        "openedx.core.djangoapps.external_user_ids.migrations.0002_external_id_types"
    )
    migration.create_types(apps, None)
    configure_router(ralph.route_url, ralph.lms_username, ralph.lms_password)
    return ralph


@pytest.fixture
def sandbox_env(xapi_pipeline, clickhouse, backend_config) -> dict[str, str]:
    """Environment of a sandbox ``manage.py``/Celery process on this test's database (with the
    route to Ralph) and ClickHouse."""
    from django.db import connection

    return {
        **os.environ,
        "ASPECTS_SANDBOX_DB": connection.settings_dict["NAME"],
        "ASPECTS_SANDBOX_CLICKHOUSE_URL": backend_config["url"],
        "ASPECTS_SANDBOX_CLICKHOUSE_USER": backend_config["username"],
        "ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD": backend_config["password"],
        "ASPECTS_SANDBOX_CLICKHOUSE_DATABASE": backend_config["database"],
        "ASPECTS_SANDBOX_XAPI_DATABASE": clickhouse.xapi_database,
        "DJANGO_SETTINGS_MODULE": "sandbox.lms.settings",
    }


#: Tests with a real ``redis-server`` (CI installs it: ``apt-get install redis-server``).
NEEDS_REDIS_SERVER = pytest.mark.skipif(
    not redis_server.available(),
    reason="redis-server is not installed (apt-get install redis-server)",
)


@pytest.fixture
def redis(tmp_path):
    """Debian's redis-server on a free port, for this test."""
    server = redis_server.RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def manage(*arguments: str) -> list[str]:
    """A sandbox ``manage.py`` command line (run with ``cwd`` at the repository)."""
    return [sys.executable, "sandbox/manage.py", *arguments]


REPO = Path(__file__).resolve().parents[3]


def run_monitored_load_test(env: dict, backend: str, output_dir: Path, *generator: str) -> tuple:
    """Monitor, then generator, as sandbox processes (as ``tutor local do load-test`` runs
    them); both must succeed. (the monitor's output, the run's report, its samples' backlogs)."""
    from aspects_platform.load_test.report import load_report
    from aspects_platform.load_test.store import LoadTestStore

    monitor = subprocess.Popen(
        manage("monitor_load_test_tracking", "--backend", backend, "--sleep_time", "0.3",
               "--timeout", "120", "--output_dir", str(output_dir)),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        done = subprocess.run(
            manage("load_test_tracking_events", *generator),
            cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        report_text, _ = monitor.communicate(timeout=240)
        assert monitor.returncode == 0, report_text
    finally:
        if monitor.poll() is None:
            monitor.terminate()
            monitor.wait(30)
    store = LoadTestStore()
    run_id = next(line for line in report_text.splitlines() if line.startswith("load test "))
    run_id = run_id.split()[2]
    backlogs = [sample.stats["backlog"] for sample in store.samples(run_id)]
    return report_text, load_report(store, run_id), backlogs


def start_service(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A background sandbox process (worker, consumer) at the repository; stderr to ``log``."""
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w")
    )
