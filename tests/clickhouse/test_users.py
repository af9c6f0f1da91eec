"""Service users and least-privilege grants: parsed by the embedded engine, run on a real one."""
# ruff: noqa: S608 - names are generated identifiers

import dataclasses
import secrets
import uuid

import pytest
from aspects_platform.clickhouse.identifiers import (
    InvalidIdentifierError,
    quote_identifier,
    validate_identifier,
)
from aspects_platform.clickhouse.schema import SchemaSettings
from aspects_platform.clickhouse.users import (
    REPORTING_OBJECTS,
    SERVICES,
    ServiceUser,
    apply_users,
    grants,
    sha256_hash,
    user_statements,
)
from clickhouse_connect.driver.exceptions import DatabaseError

from sandbox.clickhouse_server.testing import format_query, single_node_form


@pytest.mark.parametrize("service", SERVICES)
def test_user_statements_parse_and_cluster_mode_only_adds_on_cluster(clickhouse, service):
    """Parsed by the engine only: it cannot create users (clickhouse-local's access storage is
    read-only); a real server runs them in test_users_log_in_with_only_their_grants..."""
    password = "pa'ss\\word; DROP USER x -- 🎉"
    user, salt = ServiceUser(service, f"ch_{service}", password), "00ff" * 8
    local = user_statements(user, SchemaSettings(), salt=salt)
    clustered = user_statements(user, SchemaSettings(cluster="aspects_cluster"), salt=salt)
    assert len(local) == 2 + len(grants(service, SchemaSettings()))
    assert not any(password in statement for statement in local + clustered)
    assert local[0].startswith(f"CREATE USER IF NOT EXISTS `ch_{service}`")
    assert local[1].startswith(f"ALTER USER `ch_{service}`")
    assert local[2].endswith("WITH REPLACE OPTION")
    client = clickhouse.client()
    for single, on_cluster in zip(local, clustered, strict=False):
        formatted = format_query(client, on_cluster)
        assert "ON CLUSTER aspects_cluster" in formatted
        assert single_node_form(formatted, "aspects_cluster") == format_query(client, single)
    extra = clustered[len(local) :]
    cluster_grants = [
        "GRANT ON CLUSTER `aspects_cluster` CLUSTER ON *.* TO `ch_lms`",
        "GRANT ON CLUSTER `aspects_cluster` CREATE TEMPORARY TABLE, REMOTE ON *.* TO `ch_lms`",
    ]
    assert extra == (cluster_grants if service == "lms" else [])
    for statement in extra:
        formatted = format_query(client, statement)
        assert formatted.startswith("GRANT ON CLUSTER aspects_cluster ")
        assert formatted.endswith(" ON *.* TO ch_lms")


def test_password_hash_matches_clickhouse_sha256_with_salt(clickhouse):
    password, salt = "s3cret 'x'", "00ff"
    engine_hash = clickhouse.client().query(
        "SELECT lower(hex(SHA256(concat({p:String}, {s:String}))))",
        parameters={"p": password, "s": salt},
    )
    assert engine_hash.result_rows[0][0] == sha256_hash(password, salt)


def test_least_privilege_grants():
    settings = SchemaSettings()
    assert grants("lms", settings) == [
        "INSERT, SELECT ON `event_sink`.*",
        "SELECT, ALTER DELETE ON `reporting`.`learner_pii`",  # retirement
        "SELECT ON `xapi`.`xapi_events_all`",  # the load-test monitor counts xAPI rows
        "ALTER DELETE ON `event_sink`.`user_profile`",
        "ALTER DELETE ON `event_sink`.`external_id`",
        "ALTER UPDATE ON `event_sink`.`course_enrollment`",
    ]
    assert grants("superset", settings) == [
        f"SELECT ON `reporting`.`{name}`" for name in REPORTING_OBJECTS
    ]
    assert grants("ralph", settings) == ["INSERT, SELECT ON `xapi`.`xapi_events_all`"]
    with pytest.raises(ValueError, match="choose one of lms, superset, ralph"):
        grants("vector", settings)


def test_superset_reads_only_reporting_objects_that_exist(clickhouse):
    """No sink or raw xAPI table, no pseudonym key, feed or materialized view; each object
    named exists after the migrations, and every other reporting object is internal."""
    settings = SchemaSettings(reporting_database="rpt", event_sink_database="sink")
    clauses = grants("superset", settings)
    assert all(clause.startswith("SELECT ON `rpt`.") for clause in clauses)
    assert not any(word in " ".join(clauses) for word in ("sink", "xapi`.", "key", "feed", "_mv"))
    found = clickhouse.client().query(
        "SELECT name FROM system.tables WHERE database = {db:String}",
        parameters={"db": clickhouse.reporting_database},
    )
    names = {row[0] for row in found.result_rows}
    assert set(REPORTING_OBJECTS) <= names
    internal = {"pseudonym_key", "xapi_feed", "learner_pii_feed"}
    assert {n for n in names - set(REPORTING_OBJECTS) if not n.endswith("_mv")} == internal


def test_lms_delete_grants_follow_the_pii_tables():
    only_profiles = grants("lms", SchemaSettings(pii_tables=("user_profile",)))
    assert [g for g in only_profiles if g.startswith("ALTER")] == [
        "ALTER DELETE ON `event_sink`.`user_profile`",
        "ALTER UPDATE ON `event_sink`.`course_enrollment`",
    ]
    # course_enrollment listed as PII: its rows are deleted, so DELETE replaces UPDATE.
    enrollments = grants("lms", SchemaSettings(pii_tables=("user_profile", "course_enrollment")))
    assert [g for g in enrollments if g.startswith("ALTER")] == [
        "ALTER DELETE ON `event_sink`.`user_profile`",
        "ALTER DELETE ON `event_sink`.`course_enrollment`",
    ]
    with pytest.raises(InvalidIdentifierError, match="PII table"):
        SchemaSettings(pii_tables=("user_profile; DROP",))


def test_migrate_job_reads_the_pii_tables():
    from aspects_platform.clickhouse.migrate import config_from_env

    base = {
        "ASPECTS_CLICKHOUSE_URL": "http://clickhouse:8123",
        "ASPECTS_CLICKHOUSE_ADMIN_USER": "admin",
        "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD": "pw",
    }
    assert config_from_env(base).schema.pii_tables == ("user_profile", "external_id")
    env = {**base, "ASPECTS_EVENT_SINK_PII_TABLES": "user_profile, external_id,course_enrollment"}
    assert config_from_env(env).schema.pii_tables == (
        "user_profile",
        "external_id",
        "course_enrollment",
    )
    assert config_from_env({**base, "ASPECTS_EVENT_SINK_PII_TABLES": ""}).schema.pii_tables == ()


def test_cluster_mode_adds_the_cluster_grants_to_the_lms_user_only():
    settings = SchemaSettings(cluster="aspects_cluster")
    assert grants("lms", settings)[-2:] == [
        "CLUSTER ON *.*",
        "CREATE TEMPORARY TABLE, REMOTE ON *.*",
    ]
    assert not {"CLUSTER ON *.*", "CREATE TEMPORARY TABLE, REMOTE ON *.*"} & set(
        grants("lms", SchemaSettings())
    )
    for service in ("superset", "ralph"):  # they never run ON CLUSTER queries
        assert not any("CLUSTER" in clause for clause in grants(service, settings))


@pytest.mark.parametrize("name", ["event_sink\n", "event_sink\r\n", "\nevent_sink", "a b", ""])
def test_identifiers_with_a_trailing_newline_or_space_are_refused(name):
    with pytest.raises(InvalidIdentifierError, match="invalid ClickHouse database"):
        validate_identifier(name, "database")
    with pytest.raises(InvalidIdentifierError):
        quote_identifier(name)
    with pytest.raises(InvalidIdentifierError):
        SchemaSettings(event_sink_database=name)


@pytest.mark.parametrize("salt", ["00ff\n", "00ff' OR '", "00FF", "\n00ff"])
def test_a_salt_that_is_not_lowercase_hex_is_refused(salt):
    with pytest.raises(ValueError, match="lowercase hex"):
        user_statements(ServiceUser("lms", "ch_lms", "pw"), SchemaSettings(), salt=salt)


def test_user_names_are_validated():
    with pytest.raises(InvalidIdentifierError):
        user_statements(ServiceUser("lms", "x` IDENTIFIED", "p"), SchemaSettings())


def test_password_repr_is_hidden():
    assert "hunter2" not in repr(ServiceUser("lms", "ch_lms", "hunter2"))


@pytest.fixture
def real_server(clickhouse):
    if clickhouse.is_embedded:
        pytest.skip("the embedded engine has no access control; set ASPECTS_TEST_CLICKHOUSE_URL")
    return clickhouse


def test_users_log_in_with_only_their_grants_on_a_real_server(real_server):
    tag = uuid.uuid4().hex[:8]
    users = [ServiceUser(s, f"aspects_test_{s}_{tag}", secrets.token_urlsafe(16)) for s in SERVICES]
    admin = real_server.client()
    try:
        apply_users(admin, users, real_server.schema)
        rotated = [dataclasses.replace(u, password=u.password + "2") for u in users]
        apply_users(admin, rotated, real_server.schema)  # re-run: passwords kept in sync
        lms, superset, ralph = (
            dataclasses.replace(real_server, username=u.name, password=u.password).client()
            for u in rotated
        )
        sink = f"`{real_server.event_sink_database}`"
        xapi = f"`{real_server.xapi_database}`.`{real_server.xapi_table}`"
        lms.command(
            f"INSERT INTO {sink}.user_profile (user_id, dump_id, time_last_dumped) "
            "VALUES (1, generateUUIDv4(), now64(6))"
        )
        lms.command(
            f"DELETE FROM {sink}.user_profile WHERE user_id = {{u:Int64}}", parameters={"u": 1}
        )
        reporting = f"`{real_server.reporting_database}`"
        assert superset.command(f"SELECT count() FROM {reporting}.xapi_events") >= 0
        assert superset.command(f"SELECT count() FROM {reporting}.learner_course_status") >= 0
        # The DDL it can see (system.tables) is that of its objects: no key, no view computing one.
        visible = superset.query(
            "SELECT name FROM system.tables WHERE database = {db:String}",
            parameters={"db": real_server.reporting_database},
        ).result_rows
        assert {row[0] for row in visible} == set(REPORTING_OBJECTS)
        assert lms.command(f"SELECT count() FROM {xapi}") == 0
        ralph.command(
            f"INSERT INTO {xapi} (event_id, emission_time, event) "
            "VALUES (generateUUIDv4(), now64(6), '{}')"
        )
        for client, statement in [
            (
                lms,
                f"INSERT INTO {xapi} (event_id, emission_time, event) VALUES "
                "(generateUUIDv4(), now64(6), '{}')",
            ),
            (superset, f"INSERT INTO {sink}.load_test_runs (run_id) VALUES ('x')"),
            (superset, f"SELECT count() FROM {sink}.user_profile"),
            (superset, f"SELECT count() FROM {xapi}"),
            (superset, f"SELECT key FROM {reporting}.pseudonym_key"),
            (ralph, f"SELECT count() FROM {sink}.user_profile"),
            (lms, f"DROP TABLE {sink}.user_profile"),
        ]:
            with pytest.raises(DatabaseError, match="ACCESS_DENIED|Not enough privileges"):
                client.command(statement)
    finally:
        for user in users:
            admin.command(f"DROP USER IF EXISTS `{user.name}`")
