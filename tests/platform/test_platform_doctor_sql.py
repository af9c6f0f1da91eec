"""The doctor's readers of ClickHouse text: SHOW GRANTS lines and migration DDL (no server).

The SHOW GRANTS lines have the shapes ClickHouse prints (its own test references): one line
per object, privileges in canonical names (``GRANT DELETE`` prints ``ALTER DELETE``),
back-quotes around names that need them (``db2.`table```), column grants ``SELECT(col1, col2)``,
partial revokes ``REVOKE ... FROM``, role grants without ``ON``, sometimes a trailing ``;``.
"""

from __future__ import annotations

import pytest
from aspects_platform.clickhouse.expected_schema import expected_tables
from aspects_platform.clickhouse.schema import Migration, SchemaSettings, load_migrations
from aspects_platform.clickhouse.users import grants
from aspects_platform.doctor.grants import compare_grants

SCHEMA = SchemaSettings()
USER = "ch_lms"
#: SHOW GRANTS of an LMS user created by the init job (users.user_statements) on a server.
INIT_JOB_GRANTS = [
    f"GRANT INSERT, SELECT ON event_sink.* TO {USER}",
    f"GRANT SELECT, ALTER DELETE ON reporting.learner_pii TO {USER}",
    f"GRANT SELECT ON xapi.xapi_events_all TO {USER}",
    f"GRANT ALTER DELETE ON event_sink.user_profile TO {USER}",
    f"GRANT ALTER DELETE ON event_sink.external_id TO {USER}",
    f"GRANT ALTER UPDATE ON event_sink.course_enrollment TO {USER}",
]
#: One (privilege, object) pair per privilege named in INIT_JOB_GRANTS.
INIT_JOB_PRIVILEGES = sum(
    len(line.removeprefix("GRANT ").split(" ON ")[0].split(", ")) for line in INIT_JOB_GRANTS
)


def missing_and_extra(lines: list[str], settings: SchemaSettings = SCHEMA) -> tuple[list, list]:
    compared = compare_grants(lines, grants("lms", settings))
    return [str(p) for p in compared.missing], [str(p) for p in compared.extra]


def test_what_the_init_job_grants_is_exactly_what_the_lms_needs():
    assert missing_and_extra(INIT_JOB_GRANTS) == ([], [])
    assert missing_and_extra([f"{line};" for line in INIT_JOB_GRANTS]) == ([], [])


def test_a_missing_table_grant_is_named():
    lines = [line for line in INIT_JOB_GRANTS if "external_id" not in line]
    assert missing_and_extra(lines) == (["ALTER DELETE ON event_sink.external_id"], [])


def test_wider_grants_cover_the_needed_ones_and_are_reported_as_extra():
    lines = [f"GRANT INSERT, SELECT, ALTER ON *.* TO {USER}"]
    missing, extra = missing_and_extra(lines)
    assert missing == []
    assert extra == ["INSERT ON *.*", "SELECT ON *.*", "ALTER ON *.*"]
    assert missing_and_extra([f"GRANT ALL ON *.* TO {USER} WITH GRANT OPTION"]) == (
        [],
        ["ALL ON *.*"],
    )


def test_back_quoted_names_and_short_privilege_names():
    lines = [
        f"GRANT INSERT, SELECT ON `event_sink`.* TO {USER}",
        f"GRANT SELECT, DELETE ON `reporting`.`learner_pii` TO {USER}",
        f"GRANT SELECT ON xapi.`xapi_events_all` TO {USER}",
        f"GRANT DELETE ON event_sink.`user_profile` TO {USER}",
        f"GRANT ALTER TABLE ON event_sink.external_id TO {USER}",
        f"GRANT ALTER UPDATE, ALTER DELETE ON event_sink.course_enrollment TO {USER}",
    ]
    missing, extra = missing_and_extra(lines)
    assert missing == []
    assert extra == [
        "ALTER TABLE ON event_sink.external_id",
        "ALTER DELETE ON event_sink.course_enrollment",
    ]


def test_column_grants_do_not_cover_a_table():
    lines = [
        *(line for line in INIT_JOB_GRANTS if "xapi" not in line),
        f"GRANT SELECT(event_id, emission_time) ON xapi.xapi_events_all TO {USER}",
    ]
    assert missing_and_extra(lines)[0] == ["SELECT ON xapi.xapi_events_all"]


@pytest.mark.parametrize(
    "revoke",
    [
        "REVOKE SELECT ON event_sink.user_profile FROM ch_lms",
        "REVOKE SELECT(email) ON event_sink.user_profile FROM ch_lms;",
        "REVOKE ALTER ON event_sink.* FROM ch_lms",
    ],
)
def test_a_partial_revoke_takes_the_needed_privilege_back(revoke):
    missing, _ = missing_and_extra([*INIT_JOB_GRANTS, revoke])
    assert missing
    assert missing_and_extra([*INIT_JOB_GRANTS, "REVOKE SELECT ON other_db.* FROM ch_lms"]) == (
        [],
        [],
    )


def test_role_grants_are_listed_and_not_taken_for_privileges():
    compared = compare_grants([f"GRANT aspects_lms_role TO {USER}"], grants("lms", SCHEMA))
    assert compared.roles == ["aspects_lms_role"]
    assert len(compared.missing) == INIT_JOB_PRIVILEGES


def test_cluster_mode_needs_the_cluster_grants_too():
    cluster = SchemaSettings(cluster="main")
    missing, _ = missing_and_extra(INIT_JOB_GRANTS, cluster)
    assert missing == ["CLUSTER ON *.*", "CREATE TEMPORARY TABLE ON *.*", "REMOTE ON *.*"]
    more = [
        f"GRANT CLUSTER ON *.* TO {USER}",
        f"GRANT CREATE TEMPORARY TABLE, REMOTE ON *.* TO {USER}",
    ]
    assert missing_and_extra([*INIT_JOB_GRANTS, *more], cluster) == ([], [])


def migration(version: int, sql: str) -> Migration:
    return Migration(version, f"m{version}", sql)


def test_later_migrations_change_the_expected_tables():
    migrations = [
        migration(
            1,
            "CREATE TABLE IF NOT EXISTS ${event_sink}.t ${on_cluster} (\n"
            "    a String,\n    `order` Int32,\n    b DateTime64(6, 'UTC') DEFAULT now64(6),\n"
            "    INDEX i a TYPE bloom_filter GRANULARITY 1\n) ENGINE = MergeTree() ORDER BY a;\n"
            "CREATE TABLE IF NOT EXISTS ${event_sink}.gone (x UInt8) ENGINE = Log;\n",
        ),
        migration(2, "CREATE TABLE IF NOT EXISTS ${event_sink}.t (other UInt8) ENGINE = Log;\n"),
        migration(
            3,
            "ALTER TABLE ${event_sink}.t ${on_cluster} ADD COLUMN IF NOT EXISTS c "
            "Nullable(String) AFTER a, DROP COLUMN `order`,\n"
            "    MODIFY COLUMN a LowCardinality(String);\n"
            "ALTER TABLE ${event_sink}.t RENAME COLUMN b TO b2;\n"
            "DROP TABLE IF EXISTS ${event_sink}.gone;\n"
            "RENAME TABLE ${event_sink}.t TO ${event_sink}.t2;\n",
        ),
        migration(
            4,
            "CREATE OR REPLACE TABLE ${xapi}.${xapi_table} (e UUID) ENGINE = MergeTree ORDER BY e "
            "AS SELECT e FROM ${xapi}.${xapi_table};\n",
        ),
    ]
    assert expected_tables(migrations, SchemaSettings(xapi_table="events")) == {
        ("event_sink", "t2"): {
            "a": "LowCardinality(String)",
            "b2": "DateTime64(6,'UTC')",
            "c": "Nullable(String)",
        },
        ("xapi", "events"): {"e": "UUID"},
    }


def test_copies_exchanges_and_cluster_clauses():
    migrations = [
        migration(
            1, "CREATE TABLE ${event_sink}.a ${on_cluster} (x UInt8, y String) ENGINE = Log;\n"
        ),
        migration(
            2,
            "CREATE TABLE IF NOT EXISTS ${event_sink}.b ${on_cluster} AS ${event_sink}.a "
            "ENGINE = Log;\n"
            "CREATE TABLE ${event_sink}.c ${on_cluster} ENGINE = Log AS SELECT 1 AS one;\n"
            "ALTER TABLE ${event_sink}.b ${on_cluster} ADD COLUMN z Int64;\n"
            "EXCHANGE TABLES ${event_sink}.a AND ${event_sink}.b ${on_cluster};\n"
            "RENAME TABLE ${event_sink}.b TO ${event_sink}.old ${on_cluster};\n",
        ),
    ]
    expected = {
        ("event_sink", "a"): {"x": "UInt8", "y": "String", "z": "Int64"},
        ("event_sink", "old"): {"x": "UInt8", "y": "String"},
    }
    assert expected_tables(migrations, SchemaSettings()) == expected
    assert expected_tables(migrations, SchemaSettings(cluster="main")) == expected


def test_the_shipped_migrations_define_the_contract_tables():
    tables = expected_tables(load_migrations(), SchemaSettings(event_sink_database="sink"))
    assert list(tables["sink", "course_blocks"])[-3:] == [
        "edited_on",
        "dump_id",
        "time_last_dumped",
    ]
    assert tables["sink", "user_profile"]["year_of_birth"] == "Nullable(Int32)"
    assert tables["xapi", "xapi_events_all"] == {
        "event_id": "UUID",
        "emission_time": "DateTime64(6,'UTC')",
        "event": "String",
    }
