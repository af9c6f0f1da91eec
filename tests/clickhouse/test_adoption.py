"""Adopting an established Aspects install: refusal naming the differences, then conversion."""
# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

import dataclasses
from datetime import datetime

import pytest
from aspects_platform.clickhouse.adopt import AdoptionError, adopt_table, convert
from aspects_platform.clickhouse.definitions import table_definitions
from aspects_platform.clickhouse.established import (
    EstablishedSchemaError,
    TableDifference,
    established_differences,
)
from aspects_platform.clickhouse.runner import MIGRATIONS_TABLE, apply_migrations
from aspects_platform.clickhouse.schema import SchemaSettings, load_migrations, table_columns

from sandbox.clickhouse_server.testing import format_query, single_node_form, unique_schema
from tests.clickhouse.established_schema import DUMP, ROWS, TABLES, XAPI_ROWS, create_established
from tests.clickhouse.test_migrate_job import job_env, run_job
from tests.clickhouse.test_migrations import CONTRACT, XAPI_CONTRACT

ADOPTED = [table for table in TABLES if table in CONTRACT]


@pytest.fixture
def established(clickhouse):
    """Fresh databases holding the established tables and rows; dropped afterwards."""
    target = dataclasses.replace(clickhouse, schema=unique_schema("adopt"))
    client = target.client()
    create_established(client, target.schema)
    yield target, client
    target.drop_databases()


def snapshot(client, schema: SchemaSettings) -> list[tuple]:
    """Every table of the three databases: name, DDL and row count."""
    tables = client.query(
        "SELECT database, name, create_table_query, total_rows FROM system.tables "
        "WHERE database IN {dbs:Array(String)} ORDER BY database, name",
        parameters={
            "dbs": [schema.event_sink_database, schema.xapi_database, schema.reporting_database]
        },
    )
    return tables.result_rows


def test_established_tables_are_refused_naming_each_difference_and_nothing_changes(established):
    target, client = established
    before = snapshot(client, target.schema)
    with pytest.raises(EstablishedSchemaError) as refused:
        apply_migrations(client, target.schema)
    message = str(refused.value)
    sink, xapi = target.event_sink_database, target.xapi_database
    for table in ADOPTED:
        assert f"  {sink}.{table}: " in message, table
    assert "aspects_data" not in message
    assert (
        f"{sink}.course_blocks: engine MergeTree ORDER BY (org, course_key, location, "
        "edited_on, order), expected ReplacingMergeTree ORDER BY (org, course_key, location)"
    ) in message
    assert "missing columns block_type LowCardinality(String), section UInt32" in message
    assert "edited_on is String, expected Nullable(DateTime64(6,'UTC'))" in message
    assert f"{sink}.tag: " in message and "missing columns lineage String, is_deleted UInt8" in (
        message
    )
    assert "user_id is Int32, expected Int64" in message
    assert (
        f"{xapi}.xapi_events_all: types: emission_time is DateTime64(6), expected "
        "DateTime64(6,'UTC')"
    ) in message
    assert "--adopt-established" in message
    assert snapshot(client, target.schema) == before


def rows(client, sql: str) -> list[tuple]:
    return client.query(sql).result_rows


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


def test_adopt_converts_every_row_into_our_schema_and_keeps_the_originals(established):
    target, client = established
    said: list[str] = []
    applied = apply_migrations(client, target.schema, adopt_established=True, say=said.append)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    sink = f"`{target.event_sink_database}`"
    for table in ADOPTED:
        count = len(ROWS[table])
        name = f"{target.event_sink_database}.{table}"
        assert f"adopted {name}: {count} rows before, {count} after" in "\n".join(said), table
        assert any(line.startswith(f"established table {name}: ") for line in said), table
        assert table_columns(client, target.event_sink_database, table) == CONTRACT[table]
        backup = rows(client, f"SELECT count() FROM {sink}.`{table}_established_backup`")
        assert backup == [(count,)], table
    xapi = f"`{target.xapi_database}`.`{target.xapi_table}`"
    assert table_columns(client, target.xapi_database, target.xapi_table) == XAPI_CONTRACT
    assert rows(
        client, f"SELECT toString(event_id), emission_time, event FROM {xapi} ORDER BY 1"
    ) == [(e, datetime.fromisoformat(t), v) for e, t, v in XAPI_ROWS]
    assert rows(
        client,
        f"SELECT id, user_id, name, username, year_of_birth, profile_image_uploaded_at, "
        f"time_last_dumped FROM {sink}.user_profile ORDER BY id",
    ) == [
        (1, 11, "Ada", "ada", 1815, None, utc("2024-05-01T10:00:00.123456")),
        (2, 12, "Bob", "bob", None, utc("2024-02-03T04:05:06.789"),
         utc("2024-05-01T10:00:00.123456")),
    ]  # fmt: skip
    assert rows(
        client,
        f"SELECT location, block_type, section, subsection, unit, graded, detached, `order`, "
        f"edited_on FROM {sink}.course_blocks ORDER BY `order`",
    ) == [
        ("block-v1:Org+Demo+2024+type@problem+block@p1", "problem", 1, 2, 3, True, False, 5,
         utc("2024-04-30T09:00:00")),
        ("block-v1:Org+Demo+2024+type@about+block@overview", "about", 0, 0, 0, False, True, 9,
         None),
    ]  # fmt: skip
    # History rows were all copied; ReplacingMergeTree keeps the newest dump of each key.
    assert rows(client, f"SELECT display_name, course_end FROM {sink}.course_overviews FINAL") == [
        ("Demo v2", utc("2024-12-31T00:00:00"))
    ]
    assert rows(client, f"SELECT id, is_active FROM {sink}.course_enrollment FINAL") == [
        (21, False)
    ]
    assert rows(client, f"SELECT id, lineage, is_deleted, dump_id FROM {sink}.tag") == [
        (4, "", 0, DUMP)
    ]
    assert "filled with defaults: lineage, is_deleted" in "\n".join(said)
    assert rows(client, f"SELECT path FROM {sink}.aspects_data") == [("manifest.json",)]
    # The reporting tables were built from the converted rows (the migrations' backfill).
    reporting = f"`{target.reporting_database}`"
    assert rows(client, f"SELECT course_name FROM {reporting}.course_names FINAL") == [("Demo v2",)]
    again: list[str] = []
    assert apply_migrations(client, target.schema, say=again.append) == []
    assert again == []


def test_a_derived_reporting_table_is_kept_aside_and_rebuilt_from_the_converted_sources(
    established,
):
    """A reporting table with one of our names (e.g. left by the established dbt project)."""
    target, client = established
    reporting = f"`{target.reporting_database}`"
    client.command(f"CREATE DATABASE {reporting}")
    client.command(
        f"CREATE TABLE {reporting}.course_names (course_key String, course_name String) "
        "ENGINE = MergeTree ORDER BY course_key"
    )
    client.command(f"INSERT INTO {reporting}.course_names VALUES ('k', 'their name')")
    with pytest.raises(EstablishedSchemaError, match=f"{target.reporting_database}.course_names: "):
        apply_migrations(client, target.schema)
    said: list[str] = []
    apply_migrations(client, target.schema, adopt_established=True, say=said.append)
    assert (
        f"adopted {target.reporting_database}.course_names: derived table (1 rows) kept as "
        f"{target.reporting_database}.course_names_established_backup; the migrations rebuild "
        "it from the source tables"
    ) in said
    backup = f"SELECT * FROM {reporting}.course_names_established_backup"
    assert rows(client, backup) == [("k", "their name")]
    ours = f"SELECT course_key, course_name FROM {reporting}.course_names FINAL"
    assert rows(client, ours) == [("course-v1:Org+Demo+2024", "Demo v2")]


def test_a_value_that_cannot_be_converted_leaves_the_original_untouched(established):
    target, client = established
    sink = f"`{target.event_sink_database}`"
    client.command(
        f"INSERT INTO {sink}.course_enrollment VALUES (22, 'c', 'last tuesday', true, 'audit', "
        "'bob', 12, {dump:UUID}, '2024-05-01 10:00:00')",
        parameters={"dump": str(DUMP)},
    )
    before = snapshot(client, target.schema)
    (difference,) = [
        d
        for d in established_differences(client, target.schema, load_migrations(), set())
        if d.definition.table == "course_enrollment"
    ]
    with pytest.raises(AdoptionError) as refused:
        adopt_table(client, target.schema, difference)
    assert str(refused.value) == (
        f"{target.event_sink_database}.course_enrollment: values that do not convert to the "
        "Aspects types (created: 1 value(s) such as 'last tuesday'); fix or delete those rows, "
        "then run again; the table was not changed"
    )
    assert snapshot(client, target.schema) == before


def test_an_earlier_backup_is_never_overwritten(established):
    target, client = established
    sink = f"`{target.event_sink_database}`"
    client.command(f"CREATE TABLE {sink}.taxonomy_established_backup (x UInt8) ENGINE = Memory")
    before = snapshot(client, target.schema)
    with pytest.raises(AdoptionError, match="taxonomy_established_backup already exists"):
        apply_migrations(client, target.schema, adopt_established=True)
    after = snapshot(client, target.schema)
    taxonomy = [row for row in after if row[1] == "taxonomy"]
    assert taxonomy == [row for row in before if row[1] == "taxonomy"]


class ClusterAsSingleNode:
    """A real client for cluster-mode DDL on the single-node engine (no Keeper here): each
    statement is parsed by the engine, recorded, and run without ``ON CLUSTER`` and
    replication arguments (as test_migrations checks the migrations' cluster DDL)."""

    def __init__(self, client, cluster: str):
        self.client, self.cluster, self.statements = client, cluster, []

    def command(self, statement: str, **kwargs):
        self.statements.append(statement)
        local = single_node_form(format_query(self.client, statement), self.cluster)
        return self.client.command(local, **kwargs)

    def query(self, statement: str, **kwargs):
        return self.client.query(statement, **kwargs)


def test_cluster_mode_converts_with_on_cluster_ddl_and_replicated_tables(established):
    target, client = established
    clustered = dataclasses.replace(target.schema, cluster="aspects_cluster")
    (difference,) = [
        d
        for d in established_differences(client, clustered, load_migrations(), set())
        if d.definition.table == "external_id"
    ]
    assert "expected ReplicatedReplacingMergeTree ORDER BY (user_id, external_id_type)" in (
        difference.describe()
    )
    recording = ClusterAsSingleNode(client, "aspects_cluster")
    report = adopt_table(recording, clustered, difference)
    assert (report.rows_before, report.rows_after) == (1, 1)
    ddl = [s for s in recording.statements if not s.startswith("INSERT")]
    assert ddl and all("ON CLUSTER `aspects_cluster`" in s for s in ddl), ddl
    (create,) = [s for s in ddl if s.startswith("CREATE TABLE")]
    assert "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/" in create
    sink = target.event_sink_database
    assert table_columns(client, sink, "external_id") == CONTRACT["external_id"]


def test_tables_recorded_by_our_runner_are_not_compared(clickhouse):
    """Our own deployments (every creating migration recorded) never trigger the check."""
    client = clickhouse.client()
    recorded = {
        int(v)
        for (v,) in rows(
            client,
            f"SELECT version FROM `{clickhouse.event_sink_database}`.`{MIGRATIONS_TABLE}`",
        )
    }
    assert established_differences(client, clickhouse.schema, load_migrations(), recorded) == []


def test_conversion_expressions_and_cluster_ddl():
    assert convert("a", "Int64", "Int32") == ("CAST(`a` AS Int64)", None)
    assert convert("a", "String", "String") == ("`a`", None)
    assert convert("y", "Nullable(Int32)", "String") == (
        "if(`y` IN ('', 'None'), NULL, CAST(accurateCastOrNull(`y`, 'Int32') AS Nullable(Int32)))",
        "NOT `y` IN ('', 'None') AND accurateCastOrNull(`y`, 'Int32') IS NULL",
    )
    settings = SchemaSettings(cluster="main")
    definitions = table_definitions(load_migrations(), settings)
    statement = definitions[("event_sink", "user_profile")].create_statement("tmp", settings)
    assert statement.startswith("CREATE TABLE `event_sink`.`tmp` ON CLUSTER `main` (")
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}'" in (
        statement
    )
    difference = TableDifference(definitions[("event_sink", "user_profile")], "x", "y", [])
    assert difference.name == "event_sink.user_profile"


def test_the_init_job_refuses_then_adopts_with_the_flag(established):
    target, _ = established
    env = job_env(target, target.schema, ASPECTS_REPORTING_DATABASE=target.reporting_database)
    refused = run_job(env, "--skip-users")
    assert refused.returncode == 1
    assert "differ from the Aspects schema; nothing was changed" in refused.stderr
    assert "tutor local do init-clickhouse --adopt-established" in refused.stderr
    assert "applied migration" not in refused.stdout
    adopted = run_job(env, "--skip-users", "--adopt-established")
    assert adopted.returncode == 0, adopted.stderr
    sink = target.event_sink_database
    assert f"adopted {sink}.user_profile: 2 rows before, 2 after; original kept as " in (
        adopted.stdout
    )
    assert "applied migration 0010_tag_tables" in adopted.stdout
    assert target.password not in adopted.stdout + adopted.stderr + refused.stderr
