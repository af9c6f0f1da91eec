"""Versioned migrations: fresh databases, idempotent re-runs, the migrations table, cluster DDL."""
# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

import dataclasses
import re

import pytest
from aspects_platform.clickhouse.identifiers import InvalidIdentifierError
from aspects_platform.clickhouse.runner import (
    MIGRATIONS_TABLE,
    MigrationChecksumError,
    apply_migrations,
    bootstrap_statements,
)
from aspects_platform.clickhouse.schema import (
    SchemaSettings,
    load_migrations,
    render_statements,
    table_columns,
)
from aspects_platform.clickhouse.users import (
    REPORTING_OBJECTS,
    REPORTING_OPERATOR_VIEWS,
    REPORTING_PII_TABLES,
)

from sandbox.clickhouse_server.testing import format_query, single_node_form, unique_schema

DT = "DateTime64(6, 'UTC')"
NDT = f"Nullable({DT})"
# docs/architecture.md, TABLE CONTRACT: (table, [(column, type), ...]) in table order.
CONTRACT = {
    "course_overviews": [
        ("org", "String"), ("course_key", "String"), ("display_name", "String"),
        ("course_start", NDT), ("course_end", NDT), ("enrollment_start", NDT),
        ("enrollment_end", NDT), ("self_paced", "Bool"), ("course_data_json", "String"),
        ("created", NDT), ("modified", NDT), ("dump_id", "UUID"), ("time_last_dumped", DT),
    ],
    "course_blocks": [
        ("org", "String"), ("course_key", "String"), ("location", "String"),
        ("display_name", "String"), ("block_type", "LowCardinality(String)"),
        ("section", "UInt32"), ("subsection", "UInt32"), ("unit", "UInt32"), ("graded", "Bool"),
        ("detached", "Bool"), ("xblock_data_json", "String"), ("order", "Int32"),
        ("edited_on", NDT), ("dump_id", "UUID"), ("time_last_dumped", DT),
    ],
    "user_profile": [
        ("id", "Int64"), ("user_id", "Int64"), ("name", "String"), ("username", "String"),
        ("email", "String"), ("meta", "String"), ("courseware", "String"),
        ("language", "String"), ("location", "String"), ("year_of_birth", "Nullable(Int32)"),
        ("gender", "String"), ("level_of_education", "String"), ("mailing_address", "String"),
        ("city", "String"), ("country", "String"), ("state", "String"), ("goals", "String"),
        ("bio", "String"), ("profile_image_uploaded_at", NDT), ("phone_number", "String"),
        ("dump_id", "UUID"), ("time_last_dumped", DT),
    ],
    "external_id": [
        ("external_user_id", "UUID"), ("external_id_type", "String"), ("username", "String"),
        ("user_id", "Int64"), ("dump_id", "UUID"), ("time_last_dumped", DT),
    ],
    "course_enrollment": [
        ("id", "Int64"), ("course_key", "String"), ("created", DT), ("is_active", "Bool"),
        ("mode", "LowCardinality(String)"), ("username", "String"), ("user_id", "Int64"),
        ("dump_id", "UUID"), ("time_last_dumped", DT),
    ],
    "taxonomy": [
        ("id", "Int64"), ("name", "String"), ("is_deleted", "UInt8"), ("dump_id", "UUID"),
        ("time_last_dumped", DT),
    ],
    "tag": [
        ("id", "Int64"), ("taxonomy", "Nullable(Int64)"), ("parent", "Nullable(Int64)"),
        ("value", "String"), ("external_id", "String"), ("lineage", "String"),
        ("is_deleted", "UInt8"), ("dump_id", "UUID"), ("time_last_dumped", DT),
    ],
    "object_tag": [
        ("id", "Int64"), ("object_id", "String"), ("taxonomy", "Nullable(Int64)"),
        ("tag", "Nullable(Int64)"), ("_value", "String"), ("_export_id", "String"),
        ("lineage", "String"), ("is_deleted", "UInt8"), ("dump_id", "UUID"),
        ("time_last_dumped", DT),
    ],
    "load_test_runs": [
        ("run_id", "String"), ("timestamp", DT), ("event_type", "LowCardinality(String)"),
        ("extra", "String"),
    ],
    "load_test_stats": [("run_id", "String"), ("timestamp", DT), ("stats", "String")],
}  # fmt: skip
XAPI_CONTRACT = [("event_id", "UUID"), ("emission_time", DT), ("event", "String")]
#: Reporting tables: engine and sorting key (course-filtered chart queries read a key prefix).
REPORTING_TABLES = {
    "pseudonym_key": ("MergeTree", "created"),
    "course_names": ("ReplacingMergeTree", "org, course_key"),
    "course_blocks": ("ReplacingMergeTree", "org, course_key, block_id"),
    "xapi_events": ("ReplacingMergeTree", "org, course_key, verb, emission_time, event_id"),
    "learner_course_state": ("AggregatingMergeTree", "org, course_key, learner"),
    "learner_block_state": (
        "AggregatingMergeTree",
        "org, course_key, learner, block_id, block_type",
    ),
    "learner_pii": ("ReplacingMergeTree", "user_id"),
}


@pytest.fixture
def fresh(clickhouse):
    """Unique, empty databases on the shared server; dropped afterwards."""
    schema = unique_schema("mig")
    target = dataclasses.replace(clickhouse, schema=schema)
    yield target
    target.drop_databases()


def test_from_empty_migrations_create_every_table_with_the_contract_columns(fresh):
    client = fresh.client()
    applied = apply_migrations(client, fresh.schema)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    for table, columns in CONTRACT.items():
        assert table_columns(client, fresh.event_sink_database, table) == columns, table
    assert table_columns(client, fresh.xapi_database, fresh.xapi_table) == XAPI_CONTRACT


def test_0005_keeps_existing_course_blocks_and_keeps_one_row_per_block(fresh):
    """Upgrading from the MergeTree course_blocks (one outline copy per dump) keeps the rows;
    the newest copy of each block wins, and running the statement again changes nothing."""
    client = fresh.client()
    before = [m for m in load_migrations() if m.version < 5]
    apply_migrations(client, fresh.schema, before)
    table = f"`{fresh.event_sink_database}`.course_blocks"
    insert = (
        f"INSERT INTO {table} (org, course_key, location, display_name, block_type, section, "
        "subsection, unit, graded, detached, xblock_data_json, `order`, edited_on, dump_id, "
        "time_last_dumped) SELECT 'O', 'course-v1:O+C+R', loc, name, 'html', 0, 0, 0, false, "
        "false, '{}', 1, NULL, generateUUIDv4(), toDateTime64({t:String}, 6, 'UTC') "
        "FROM (SELECT arrayJoin(['a', 'b']) AS loc, {n:String} AS name)"
    )
    client.command(insert, parameters={"t": "2026-01-01 00:00:00", "n": "old"})
    client.command(insert, parameters={"t": "2026-01-02 00:00:00", "n": "new"})
    upgrade = [m for m in load_migrations() if m.version <= 5]
    assert [m.version for m in apply_migrations(client, fresh.schema, upgrade)] == [5]
    final = f"SELECT location, display_name FROM {table} FINAL ORDER BY location"
    assert client.query(final).result_rows == [("a", "new"), ("b", "new")]
    (rerun,) = [m for m in load_migrations() if m.version == 5]
    for statement in rerun.statements(fresh.schema):
        client.command(statement)
    assert client.query(final).result_rows == [("a", "new"), ("b", "new")]


def table_engines(client, database: str) -> dict[str, tuple[str, str]]:
    """{table: (engine, sorting key)} of the database's tables (views included)."""
    rows = client.query(
        "SELECT name, engine, sorting_key FROM system.tables WHERE database = {db:String}",
        parameters={"db": database},
    ).result_rows
    return {name: (engine, key) for name, engine, key in rows}


def test_engines_are_the_documented_ones(fresh):
    client = fresh.client()
    apply_migrations(client, fresh.schema)
    engines = table_engines(client, fresh.event_sink_database)
    assert engines["user_profile"] == ("ReplacingMergeTree", "(user_id)")
    assert engines["external_id"] == ("ReplacingMergeTree", "user_id, external_id_type")
    assert engines["course_enrollment"] == ("ReplacingMergeTree", "course_key, user_id")
    assert engines["course_overviews"] == ("ReplacingMergeTree", "org, course_key")
    assert engines["course_blocks"] == ("ReplacingMergeTree", "org, course_key, location")
    for table in ("taxonomy", "tag", "object_tag"):
        assert engines[table] == ("ReplacingMergeTree", "(id)"), table
    xapi = client.query(
        "SELECT engine, partition_key, sorting_key FROM system.tables "
        "WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": fresh.xapi_database, "t": fresh.xapi_table},
    ).result_rows
    assert xapi == [("ReplacingMergeTree", "toYYYYMM(emission_time)", "emission_time, event_id")]


def test_reporting_tables_are_keyed_by_org_and_course_and_objects_have_both(fresh):
    client = fresh.client()
    apply_migrations(client, fresh.schema)
    engines = table_engines(client, fresh.reporting_database)
    tables = {name: found for name, found in engines.items() if found[0].endswith("MergeTree")}
    assert tables == REPORTING_TABLES
    for name in REPORTING_OBJECTS:
        columns = dict(table_columns(client, fresh.reporting_database, name))
        if name in REPORTING_PII_TABLES:  # per user, joined by learner (empty without PII)
            continue
        # The operator's views count rows per table: neither course nor learner columns.
        assert name in REPORTING_OPERATOR_VIEWS or {"org", "course_key"} <= set(columns), name
        assert not {"actor", "user_id", "username", "email", "name"} & set(columns), name


def test_second_run_changes_nothing_and_each_version_is_listed_once(fresh):
    client = fresh.client()
    apply_migrations(client, fresh.schema)

    def snapshot():
        return client.query(
            "SELECT database, name, create_table_query FROM system.tables "
            "WHERE database IN ({a:String}, {b:String}) ORDER BY database, name",
            parameters={"a": fresh.event_sink_database, "b": fresh.xapi_database},
        ).result_rows

    before = snapshot()
    assert apply_migrations(client, fresh.schema) == []
    assert apply_migrations(client, fresh.schema) == []
    assert snapshot() == before
    table = f"`{fresh.event_sink_database}`.`{MIGRATIONS_TABLE}`"
    rows = client.query(f"SELECT version, count() FROM {table} GROUP BY version ORDER BY version")
    assert rows.result_rows == [(m.version, 1) for m in load_migrations()]
    names = client.query(f"SELECT name, length(checksum) FROM {table} ORDER BY version")
    assert names.result_rows == [(m.name, 64) for m in load_migrations()]


def test_a_half_applied_migration_is_completed_on_retry(fresh):
    """Each statement is idempotent: a run that died mid-migration just runs again."""
    client = fresh.client()
    first = load_migrations()[:2]
    for statement in bootstrap_statements(fresh.schema):
        client.command(statement)
    for statement in first[0].statements(fresh.schema) + first[1].statements(fresh.schema)[:2]:
        client.command(statement)  # simulate a crash after two tables, nothing recorded
    applied = apply_migrations(client, fresh.schema)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    assert table_columns(client, fresh.event_sink_database, "course_enrollment")


def test_an_upgrade_applies_only_the_new_migrations(fresh):
    """A server migrated by an older release gets exactly the migrations added since."""
    client = fresh.client()
    migrations = load_migrations()
    older_release = migrations[:2]
    assert [m.version for m in apply_migrations(client, fresh.schema, older_release)] == [
        m.version for m in older_release
    ]
    applied = apply_migrations(client, fresh.schema, migrations)
    assert [m.version for m in applied] == [m.version for m in migrations[2:]]
    assert table_columns(client, fresh.event_sink_database, "course_enrollment")


def test_a_changed_applied_migration_is_an_error(fresh):
    client = fresh.client()
    migrations = load_migrations()
    apply_migrations(client, fresh.schema, migrations)
    edited = [dataclasses.replace(migrations[0], template=migrations[0].template + "\n-- x\n")]
    recorded, current = migrations[0].checksum[:12], edited[0].checksum[:12]
    message = (
        f"0001_databases changed after it was applied "
        f"(recorded checksum {recorded}…, file {current}…)"
    )
    with pytest.raises(MigrationChecksumError, match=re.escape(message)):
        apply_migrations(client, fresh.schema, edited + migrations[1:])


def test_pii_tables_accept_lightweight_delete_by_user_id(fresh):
    client = fresh.client()
    apply_migrations(client, fresh.schema)
    for table in ("user_profile", "external_id"):
        name = f"`{fresh.event_sink_database}`.`{table}`"
        client.command(
            f"INSERT INTO {name} (user_id, username, dump_id, time_last_dumped) VALUES "
            "(1, 'a', generateUUIDv4(), now64(6)), (2, 'b', generateUUIDv4(), now64(6))"
        )
        client.command(f"DELETE FROM {name} WHERE user_id = {{uid:Int64}}", parameters={"uid": 1})
        assert client.query(f"SELECT user_id FROM {name}").result_rows == [(2,)]


def test_cluster_mode_ddl_is_the_executed_single_node_ddl_on_cluster_and_replicated(fresh):
    """ON CLUSTER needs a cluster and Keeper, which the embedded engine lacks: each cluster
    statement is parsed by the engine and must equal, minus ON CLUSTER and the replication
    arguments, the single-node statement, which is executed here."""
    clustered = dataclasses.replace(fresh.schema, cluster="aspects_cluster")

    def statements(settings: SchemaSettings) -> list[str]:
        found = bootstrap_statements(settings)
        for migration in load_migrations():
            found += migration.statements(settings)
        return found

    client = fresh.client()
    creates = 0
    for local, on_cluster in zip(statements(fresh.schema), statements(clustered), strict=True):
        client.command(local)
        if on_cluster.startswith("INSERT"):  # backfills run on the node the job talks to
            assert on_cluster == local
            continue
        formatted = format_query(client, on_cluster)
        assert "ON CLUSTER aspects_cluster" in formatted
        if on_cluster.startswith("CREATE TABLE") and "ENGINE = Null" not in on_cluster:
            creates += 1
            assert "ENGINE = Replicated" in formatted
        assert single_node_form(formatted, "aspects_cluster") == format_query(client, local)
    # + the migrations table, the xAPI table and the reporting tables (the feed is Null)
    assert creates == len(CONTRACT) + 2 + len(REPORTING_TABLES)
    profile = format_query(client, next(s for s in statements(clustered) if ".user_profile " in s))
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', "
        "'{replica}', time_last_dumped)" in profile
    )
    assert (
        table_columns(client, fresh.event_sink_database, "user_profile") == CONTRACT["user_profile"]
    )


def test_single_node_ddl_has_no_cluster_clause():
    statements = render_statements(load_migrations()[1].template, SchemaSettings())
    assert statements and not any("CLUSTER" in s or "Replicated" in s for s in statements)


@pytest.mark.parametrize(
    "field", ["event_sink_database", "xapi_database", "xapi_table", "reporting_database", "cluster"]
)
@pytest.mark.parametrize("bad", ["x; DROP TABLE y", "1abc", "a-b", "`q`", "a b", ""])
def test_identifiers_are_validated(field, bad):
    if field == "cluster" and bad == "":
        pytest.skip("an empty cluster name means single node")
    with pytest.raises(InvalidIdentifierError, match=r"\^\[A-Za-z_\]"):
        SchemaSettings(**{field: bad})


def test_database_names_are_parameters(fresh):
    """Nothing is created under the default names when others are configured."""
    client = fresh.client()
    apply_migrations(client, fresh.schema)
    created = client.query(
        "SELECT DISTINCT database FROM system.tables WHERE database LIKE {p:String}",
        parameters={"p": fresh.event_sink_database.rsplit("_event_sink", 1)[0] + "%"},
    ).result_rows
    assert sorted(r[0] for r in created) == sorted(fresh.databases.values())
