"""Shared fixtures. ``clickhouse``: the ClickHouse every test tier talks to over HTTP.

By default an embedded ClickHouse (chdb over HTTP, sandbox/clickhouse_server) is started once per
test session in a temporary folder, with the migrations applied. Set
``ASPECTS_TEST_CLICKHOUSE_URL`` (and ``ASPECTS_TEST_CLICKHOUSE_USER`` /
``ASPECTS_TEST_CLICKHOUSE_PASSWORD``) to run against a real server instead: the run then uses
fresh, uniquely named databases (``clickhouse.event_sink_database`` ...) and drops them at the
end. ``clickhouse.stop()``/``start()`` exist only for the embedded server; tests needing them
use the ``embedded_clickhouse`` fixture, which skips on a real server.

``superset`` (``tests/superset/server.py``): a real Superset on that ClickHouse, started on
first use and shared by every tier for the rest of the session.
"""

import pytest

from sandbox.clickhouse_server.testing import ClickHouseTarget, target_from_environment
from tests.superset.server import superset, superset_extra_settings, superset_redis

__all__ = ["superset", "superset_extra_settings", "superset_redis"]


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory) -> ClickHouseTarget:
    target = target_from_environment(tmp_path_factory.mktemp("embedded-clickhouse"))
    try:
        target.migrate()
        yield target
    finally:
        if target.is_embedded:
            target.embedded.stop()
        else:
            target.drop_databases()


@pytest.fixture
def embedded_clickhouse(clickhouse: ClickHouseTarget) -> ClickHouseTarget:
    """The shared server when it can be stopped and started (embedded); skip otherwise."""
    if not clickhouse.is_embedded:
        pytest.skip("needs the embedded ClickHouse (stop/start); a real server is configured")
    return clickhouse
