"""Migration 0009: the xAPI parsing view reads each statement's JSON once, with the same rows."""
# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

from aspects_platform.clickhouse.schema import load_migrations


def parsing_view_select(schema) -> str:
    """The SELECT of migration 0007's xapi_events_mv (the per-field parse), over the raw table."""
    (migration,) = [m for m in load_migrations() if m.version == 7]
    (create,) = [s for s in migration.statements(schema) if "xapi_events_mv" in s.split("\n")[0]]
    select = create.split(".xapi_events AS", 1)[1]
    feed = f"`{schema.reporting_database}`.xapi_feed"
    assert feed in select
    return select.replace(feed, f"`{schema.xapi_database}`.`{schema.xapi_table}`")


def test_the_parsing_view_reads_the_json_once(synthetic):
    query = synthetic.client.query(
        "SELECT as_select FROM system.tables WHERE database = {db:String} "
        "AND name = 'xapi_events_mv'",
        parameters={"db": synthetic.schema.reporting_database},
    ).result_rows[0][0]

    assert query.count("JSONExtract") == 1


def test_its_rows_equal_the_per_field_parse_of_every_statement_kind(synthetic):
    reporting = f"`{synthetic.schema.reporting_database}`"
    differing = synthetic.client.query(f"""
        SELECT count() FROM (
            SELECT * FROM ({parsing_view_select(synthetic.schema)})
            EXCEPT SELECT * FROM {reporting}.xapi_events
        )
    """).result_rows[0][0]
    parsed = synthetic.client.command(f"SELECT count() FROM {reporting}.xapi_events")
    kinds = synthetic.client.command(f"SELECT uniqExact(verb) FROM {reporting}.xapi_events")

    assert (differing, parsed, kinds) == (0, synthetic.sizes.events, 11)
