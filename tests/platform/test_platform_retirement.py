"""Retirement wins over PII writes: in-flight retried tasks, bulk dumps, ON CLUSTER deletes."""

import io
import logging

import pytest
from aspects_platform.sinks import UserRetirementSink, get_model, retired_users
from celery.signals import task_postrun, task_retry
from common.djangoapps.student.models import UserProfile
from django.contrib.auth.models import User
from django.core.management import call_command
from openedx.core.djangoapps.user_api.models import UserRetirementStatus

from sandbox.clickhouse_server.testing import format_query, single_node_form
from tests.platform.conftest import select, wait_for
from tests.platform.factories import make_external_id, make_user
from tests.platform.retirement_pipeline import (
    ensure_states,
    service_worker,
    start_and_retire_misc,
)

PII_TABLES = ("user_profile", "external_id")
COUNT = "SELECT count() FROM {table:Identifier} WHERE user_id = {u:Int64}"
RETIRE_TASK = "aspects_platform.tasks.retire_user_from_clickhouse"
DUMP_TASK = "aspects_platform.tasks.dump_object_to_clickhouse"


def insert_pii_rows(ch, table: str, *user_ids: int) -> None:
    """One row per user in a PII table, written directly (no LMS object behind it)."""
    for user_id in user_ids:
        ch.command(
            "INSERT INTO {table:Identifier} (user_id, username, dump_id, time_last_dumped) "
            "VALUES ({u:Int64}, 'x', generateUUIDv4(), now64(6))",
            parameters={"table": table, "u": user_id},
        )


def pii_counts(ch, user_id: int) -> dict[str, int]:
    return {table: select(ch, COUNT, table=table, u=user_id)[0][0] for table in PII_TABLES}


@pytest.fixture
def task_events():
    """(task name, task id, state) of every retry and every finished run, in order."""
    events: list[tuple[str, str, str]] = []

    def on_retry(sender=None, request=None, **kwargs):
        events.append((sender.name, request.id, "RETRY"))

    def on_postrun(sender=None, task_id=None, state=None, **kwargs):
        if state != "RETRY":
            events.append((sender.name, task_id, state))

    task_retry.connect(on_retry, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    yield events
    task_retry.disconnect(on_retry)
    task_postrun.disconnect(on_postrun)


@pytest.mark.django_db(transaction=True)
def test_retirement_wins_over_writes_still_retrying(
    embedded_clickhouse, ch, worker, task_events, settings
):
    leaving, profile = make_user("leaving", name="Leaving Person")
    staying, _ = make_user("staying", name="Staying Person")
    assert wait_for(lambda: pii_counts(ch, leaving.id)["user_profile"] == 1)
    assert wait_for(lambda: pii_counts(ch, staying.id)["user_profile"] == 1)
    # The retirement service worker logs in first: that login creates (and dumps) its profile.
    worker_id = service_worker().session["_auth_user_id"]
    assert wait_for(lambda: pii_counts(ch, int(worker_id))["user_profile"] == 1)
    task_events.clear()

    # Writes made while ClickHouse is down retry slowly; the retirement retries fast, so it
    # deletes first and the PII writes come back afterwards (the order that used to leak).
    settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS = 4.0
    settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS = 4.0
    embedded_clickhouse.stop()
    try:
        profile.name = "Changed while ClickHouse was down"
        profile.save()
        make_external_id(leaving)
        make_external_id(staying)
        dump_retries = lambda: {e[1] for e in task_events if e[0] == DUMP_TASK and e[2] == "RETRY"}  # noqa: E731
        assert wait_for(lambda: len(dump_retries()) == 3, timeout=20), task_events
        settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS = 0.1
        settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS = 0.1
        start_and_retire_misc(leaving)
        assert wait_for(lambda: any(e[0] == RETIRE_TASK for e in task_events)), task_events
    finally:
        embedded_clickhouse.start()

    def finished(name: str) -> set[str]:
        return {e[1] for e in task_events if e[0] == name and e[2] == "SUCCESS"}

    assert wait_for(lambda: len(finished(RETIRE_TASK)) == 1 and len(finished(DUMP_TASK)) == 3)
    assert pii_counts(ch, leaving.id) == {"user_profile": 0, "external_id": 0}
    assert pii_counts(ch, staying.id) == {"user_profile": 1, "external_id": 1}
    assert not [e for e in task_events if e[2] not in ("RETRY", "SUCCESS")], task_events


def seed(count: int) -> list[User]:
    users = [make_user(f"bulk{i:02d}", name=f"Bulk {i}")[0] for i in range(count)]
    for user in users:
        make_external_id(user)
    return users


def dump(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("dump_data_to_clickhouse", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def dumped_users(ch, table: str) -> list[int]:
    return [r[0] for r in select(ch, f"SELECT user_id FROM {table} ORDER BY user_id")]  # noqa: S608


@pytest.mark.django_db
def test_bulk_dump_after_retirement_skips_retired_users(ch):
    users = seed(7)
    retired = {users[1].id, users[4].id}
    for user in users:
        if user.id in retired:
            start_and_retire_misc(user)
    for table in PII_TABLES:
        ch.command(f"TRUNCATE TABLE {table}")

    for table in PII_TABLES:
        # Every row of the LMS but the retired users' (the retirement service worker logged
        # in, so it has a profile too, as in edx-platform).
        model = get_model(table)
        kept = sorted(model.objects.exclude(user_id__in=retired).values_list("user_id", flat=True))
        assert set(kept) >= {u.id for u in users} - retired
        out, err = dump("--object", table, "--batch_size", "2")
        assert dumped_users(ch, table) == kept
        assert f"Dumped {len(kept)} {table} objects" in out
        progress = err.strip().splitlines()
        total = len(kept)
        assert progress[0].startswith(f"{table}: dumped 2/{total} ({200 / total:.1f}%)"), err
        assert progress[-1].startswith(f"{table}: dumped {total}/{total} (100.0%)"), err


@pytest.mark.django_db
def test_dry_run_and_limit_count_without_retired_users(ch):
    users = seed(4)
    start_and_retire_misc(users[0])
    profiles = UserProfile.objects.exclude(user_id=users[0].id).order_by("pk")
    out, err = dump("--object", "user_profile", "--dry-run")
    assert f"user_profile: would dump {profiles.count()}/{profiles.count()}" in err, err
    dump("--object", "user_profile", "--limit", "2")
    assert dumped_users(ch, "user_profile") == [p.user_id for p in profiles[:2]]


@pytest.mark.django_db(transaction=True)
def test_task_skips_a_retired_user(ch, worker):
    """The post-commit task runs on a worker, succeeds, and writes nothing for the user."""
    finished: list[tuple[str, str, object]] = []

    def on_postrun(sender=None, state=None, retval=None, args=None, **kwargs):
        if sender.name == DUMP_TASK and state != "RETRY":
            finished.append((args[0], state, retval))

    task_postrun.connect(on_postrun, weak=False)
    try:
        user, profile = make_user("late")
        assert wait_for(lambda: ("user_profile", "SUCCESS", "dumped 1") in finished), finished
        ch.command("TRUNCATE TABLE user_profile")
        finished.clear()
        ensure_states()
        UserRetirementStatus.create_retirement(user)
        profile.name = "saved after the retirement started"
        profile.save()  # committed: the task is sent to the worker
        assert wait_for(lambda: finished), "the task never ran"
    finally:
        task_postrun.disconnect(on_postrun)
    assert finished == [("user_profile", "SUCCESS", "dumped 0")]
    assert pii_counts(ch, user.id)["user_profile"] == 0


@pytest.mark.django_db
def test_without_the_retirement_model_nothing_is_filtered_and_it_is_logged_once(
    ch, settings, caplog
):
    settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG = {
        **settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG,
        "user_retirement_request": {"module": "no_such.platform.models", "model": "Nope"},
    }
    retired_users._warned.clear()
    users = seed(3)
    ensure_states()
    UserRetirementStatus.create_retirement(users[0])
    ch.command("TRUNCATE TABLE user_profile")
    with caplog.at_level(logging.WARNING, logger=retired_users.__name__):
        dump("--object", "user_profile")
        dump("--object", "user_profile", "--dry-run")
    assert sorted(set(dumped_users(ch, "user_profile"))) == [u.id for u in users]
    warnings = [r for r in caplog.records if r.name == retired_users.__name__]
    assert len(warnings) == 1
    assert "no_such.platform.models" in warnings[0].getMessage()


@pytest.mark.django_db
def test_a_username_with_the_operators_retired_prefix_marks_the_user(ch, settings):
    """Users retired before the request table existed are known by the platform's
    RETIRED_USERNAME_PREFIX, which operators may change: the configured one is used."""
    settings.RETIRED_USERNAME_PREFIX = "gone_"
    settings.RETIRED_USERNAME_FMT = "gone_{}"
    settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG = {
        **settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG,
        "user_retirement_request": {"module": "no_such.platform.models", "model": "Nope"},
    }
    users = seed(3)
    User.objects.filter(pk=users[1].pk).update(username="gone_5f1e4c3b2a1d")
    User.objects.filter(pk=users[2].pk).update(username="retired__user_5f1e4c3b")
    ch.command("TRUNCATE TABLE user_profile")
    dump("--object", "user_profile")
    dumped = set(dumped_users(ch, "user_profile"))
    assert users[1].id not in dumped
    assert {users[0].id, users[2].id} <= dumped, "the default prefix is not the operator's"


def test_non_pii_sinks_are_not_filtered(settings):
    from aspects_platform.sinks import sink_for

    assert sink_for("user_profile").skips_retired_users()
    assert sink_for("external_id").skips_retired_users()
    assert not sink_for("course_enrollment").skips_retired_users()
    assert not sink_for("course_overviews").skips_retired_users()


def test_retire_returns_after_the_rows_are_gone(ch, backend_config):
    """ClickHouse mutations are asynchronous by default: on one node they wait (mutations_sync)."""
    from aspects_platform import backend

    for table in PII_TABLES:
        insert_pii_rows(ch, table, 41, 42)
    started = ch.command("SELECT now64(6)")
    client = backend.get_client(backend_config)
    try:
        assert UserRetirementSink().retire(client, backend_config["database"], 41) == [
            *PII_TABLES,
            "course_enrollment",
            f"{backend_config['reporting_database']}.learner_pii",
        ]
    finally:
        client.close()
    assert pii_counts(ch, 41) == {"user_profile": 0, "external_id": 0}
    assert pii_counts(ch, 42) == {"user_profile": 1, "external_id": 1}
    ch.command("SYSTEM FLUSH LOGS")
    ran = select(
        ch,
        "SELECT arrayJoin(tables) AS t, Settings['mutations_sync'] FROM system.query_log "
        "WHERE type = 'QueryFinish' AND query_kind = 'Alter' "
        "AND query_start_time_microseconds >= {started:DateTime64(6)} "
        "AND t IN {tables:Array(String)} ORDER BY t",
        started=started,
        tables=[f"{backend_config['database']}.{table}" for table in PII_TABLES],
    )
    assert ran == sorted((f"{backend_config['database']}.{t}", "1") for t in PII_TABLES)


def test_names_are_deleted_from_the_configured_reporting_database(ch, backend_config, settings):
    """The reporting database is a setting (``reporting_database``), not always `reporting`."""
    from aspects_platform import backend

    renamed = f"{backend_config['reporting_database']}_renamed"
    ch.command("CREATE DATABASE IF NOT EXISTS {db:Identifier}", parameters={"db": renamed})
    ch.command(  # test-generated database names (identifiers)
        f"CREATE TABLE IF NOT EXISTS `{renamed}`.learner_pii "
        f"AS `{backend_config['reporting_database']}`.learner_pii"
    )
    config = {**backend_config, "reporting_database": renamed}
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = config
    table = f"`{renamed}`.learner_pii"
    ch.command(
        f"INSERT INTO {table} (user_id, learner, username, time_last_dumped) "  # noqa: S608
        "VALUES (44, 'p', 'x', now64(6)), (45, 'q', 'y', now64(6))"
    )
    client = backend.get_client(config)
    try:
        retired = UserRetirementSink().retire(client, config["database"], 44)
        left = select(ch, f"SELECT user_id FROM {table}")  # noqa: S608 - a test identifier
    finally:
        client.close()
        ch.command("DROP DATABASE {db:Identifier}", parameters={"db": renamed})
    assert f"{renamed}.learner_pii" in retired
    assert left == [(45,)]


def test_an_unknown_object_names_every_choice():
    from aspects_platform.sinks import MODEL_SINKS, sink_for

    with pytest.raises(ValueError, match="unknown object 'auth_usr'; choose one of: ") as error:
        sink_for("auth_usr")
    assert all(name in str(error.value) for name in MODEL_SINKS)


def test_cluster_delete_is_a_mutation_on_cluster(ch, backend_config):
    """ON CLUSTER needs a cluster the embedded engine lacks: the cluster statement is parsed,
    and the same mutation without the clause is run on a PII table (not a lightweight DELETE,
    which only masks rows)."""
    table = f"`{backend_config['database']}`.`user_profile`"
    statement = UserRetirementSink.delete_statement(table, "analytics")
    formatted = format_query(ch, statement)
    assert formatted.startswith("ALTER TABLE") and "ON CLUSTER analytics" in formatted
    assert "DELETE WHERE user_id = {user_id:Int64}" in formatted
    local = statement.replace(" ON CLUSTER `analytics`", "")
    assert single_node_form(formatted, "analytics") == format_query(ch, local)
    insert_pii_rows(ch, "user_profile", 61, 62)
    ch.command(local, parameters={"user_id": 61}, settings={"mutations_sync": 1})
    assert pii_counts(ch, 61)["user_profile"] == 0
    assert pii_counts(ch, 62)["user_profile"] == 1


def test_cluster_name_is_validated(settings):
    from aspects_platform import backend
    from aspects_platform.clickhouse.identifiers import InvalidIdentifierError

    assert backend.cluster_name({"cluster": ""}) == ""
    assert backend.cluster_name({}) == ""
    with pytest.raises(InvalidIdentifierError, match="cluster"):
        backend.cluster_name({"cluster": "bad`name; DROP"})
    with pytest.raises(InvalidIdentifierError, match="cluster"):
        UserRetirementSink.delete_statement("`db`.`t`", "x y")


@pytest.mark.django_db
def test_a_write_that_races_the_retirement_is_deleted_again(ch, backend_config):
    from aspects_platform import backend, tasks
    from aspects_platform.sinks import UserProfileSink

    class RetiredDuringInsert(UserProfileSink):
        """The retirement starts (and its DELETE runs) while this INSERT is in flight."""

        def dump_pks(self, client, database, pks, run=None):
            written = super().dump_pks(client, database, pks, run)
            rows_before_retirement.append(pii_counts(ch, user.id)["user_profile"])
            UserRetirementStatus.create_retirement(user)
            return written

    rows_before_retirement: list[int] = []
    ensure_states()
    user, profile = make_user("racing")
    other, other_profile = make_user("other")
    client = backend.get_client(backend_config)
    try:
        sink = RetiredDuringInsert()
        assert tasks._dump_unretired(sink, client, backend_config, profile.pk) == 0
        other_sink = UserProfileSink()
        assert tasks._dump_unretired(other_sink, client, backend_config, other_profile.pk) == 1
    finally:
        client.close()
    assert rows_before_retirement == [1]
    assert pii_counts(ch, user.id)["user_profile"] == 0
    assert pii_counts(ch, other.id)["user_profile"] == 1


@pytest.mark.django_db
def test_retire_misc_sends_the_signal_while_the_status_exists():
    from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC

    user, _ = make_user("leaving-now")
    seen: list[str] = []

    def receiver(sender, user=None, **kwargs):
        seen.append(UserRetirementStatus.objects.get(user=user).original_username)

    USER_RETIRE_LMS_MISC.connect(receiver, weak=False)
    try:
        start_and_retire_misc(user)
    finally:
        USER_RETIRE_LMS_MISC.disconnect(receiver)
    assert seen == ["leaving-now"]
