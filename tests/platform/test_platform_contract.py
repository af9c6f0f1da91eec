"""Every sink writes exactly the columns, in order, of the table the migrations create."""

import pytest
from aspects_platform.sinks import MODEL_SINKS, XBlockSink

from tests.platform.conftest import select

WRITERS = {sink.table: sink.column_names() for sink in MODEL_SINKS.values()}
WRITERS[XBlockSink.table] = XBlockSink.column_names()


def table_columns(ch, table: str) -> list[str]:
    return [
        name
        for (name,) in select(
            ch,
            "SELECT name FROM system.columns WHERE database = currentDatabase() "
            "AND table = {t:String} ORDER BY position",
            t=table,
        )
    ]


@pytest.mark.parametrize("table", sorted(WRITERS))
def test_sink_columns_match_the_migrated_table(ch, table):
    assert WRITERS[table] == table_columns(ch, table)


def test_every_pii_table_can_be_purged_by_user_id(ch, settings):
    for table in settings.EVENT_SINK_CLICKHOUSE_PII_MODELS:
        assert "user_id" in table_columns(ch, table)
