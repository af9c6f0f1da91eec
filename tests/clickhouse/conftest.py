"""ClickHouse tier fixtures."""

from types import SimpleNamespace

import pytest
from aspects_platform.clickhouse.runner import apply_migrations

from sandbox import xapi_synthetic
from sandbox.clickhouse_server.testing import unique_schema

SYNTHETIC_SIZES = xapi_synthetic.Sizes(events=900, learners=25, courses=4)


@pytest.fixture(scope="module")
def synthetic(clickhouse):
    """A private schema holding SYNTHETIC_SIZES of synthetic data (sink rows and statements)."""
    schema = unique_schema("aspects_synth")
    client = clickhouse.client()
    apply_migrations(client, schema)
    written = xapi_synthetic.insert_sink_rows(client, schema, SYNTHETIC_SIZES)
    inserted = xapi_synthetic.insert_statements(client, schema, SYNTHETIC_SIZES, chunk=400)
    yield SimpleNamespace(
        client=client,
        schema=schema,
        sizes=SYNTHETIC_SIZES,
        sink=f"`{schema.event_sink_database}`",
        xapi=f"`{schema.xapi_database}`.`{schema.xapi_table}`",
        written=written,
        inserted=inserted,
    )
    for database in (
        schema.event_sink_database,
        schema.xapi_database,
        schema.reporting_database,
    ):
        client.command(f"DROP DATABASE IF EXISTS `{database}`")
