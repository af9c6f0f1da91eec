"""The whole retirement lifecycle, driven through edx-platform's endpoints, leaves no trace.

Also: retirements are recorded in the LMS and re-driven (``retire_users_from_clickhouse``),
cluster retirements are mutations that nobody waits for, and PII off cannot be undone by a flag.
"""

from __future__ import annotations

import io
from hashlib import sha1
from urllib.parse import unquote_plus

import pytest
from aspects_platform import backend
from aspects_platform.dump import DumpOptions, dump
from aspects_platform.models import ClickHouseRetirement
from aspects_platform.sinks import (
    MODEL_SINKS,
    CourseEnrollmentSink,
    ExternalIdSink,
    UserProfileSink,
    UserRetirementSink,
)
from common.djangoapps.student.models import (
    CourseEnrollment,
    UserProfile,
    get_potentially_retired_user_by_username,
)
from django.conf import settings
from django.core.management import CommandError, call_command
from openedx.core.djangoapps.user_api.models import UserRetirementRequest, UserRetirementStatus
from waffle.testutils import override_flag

from tests.clickhouse.relay import Relay, sent_body
from tests.platform.conftest import select, wait_for
from tests.platform.factories import build_course, make_external_id, make_user
from tests.platform.retirement_pipeline import request_deletion, retire_fully

pytestmark = pytest.mark.django_db(transaction=True)


def leaver():
    """A learner with a profile, an external id and an enrollment; the strings to look for."""
    user, profile = make_user("lea.ver", name="Lea Verlassen", city="Ghent", bio="Likes owls")
    external = make_external_id(user)
    CourseEnrollment.enroll(user, build_course(number="R1"), mode="verified")
    needles = {
        "username": user.username,
        "email": user.email,
        "name": profile.name,
        "external id": str(external.external_user_id),
    }
    return user, needles


def hits(ch, database: str, needles: dict[str, str]) -> dict[str, list[str]]:
    """Where each needle appears: ``table.column`` of every String/UUID column of the database."""
    columns = select(
        ch,
        "SELECT table, name FROM system.columns WHERE database = {db:String} "
        "AND (type LIKE '%String%' OR type LIKE '%UUID%') ORDER BY table, name",
        db=database,
    )
    assert len({table for table, _ in columns}) >= 5, columns
    found: dict[str, list[str]] = {}
    for label, needle in needles.items():
        for table, column in columns:
            count = select(
                ch,
                "SELECT count() FROM {t:Identifier} "
                "WHERE positionCaseInsensitive(toString({c:Identifier}), {n:String}) > 0",
                t=table,
                c=column,
                n=needle,
            )[0][0]
            if count:
                found.setdefault(label, []).append(f"{table}.{column}")
    return found


def force_dump_everything() -> None:
    for object_name in sorted(MODEL_SINKS):
        call_command(
            "dump_data_to_clickhouse",
            "--object",
            object_name,
            "--force",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_after_the_whole_lifecycle_and_forced_dumps_no_table_holds_the_user(ch, clickhouse):
    user, needles = leaver()
    stayer, _ = make_user("stays", name="Stay Here")
    database = clickhouse.event_sink_database
    before = hits(ch, database, needles)
    assert set(before) == set(needles), before  # the search does find the user beforehand

    retire_fully(user)

    user.refresh_from_db()
    # edx-platform's names: sha1(newest salt + lowercased original), RETIRED_*_FMT.
    salt = settings.RETIRED_USER_SALTS[-1]
    assert user.username == "retired__user_" + sha1((salt + "lea.ver").encode()).hexdigest()
    email_hash = sha1((salt + needles["email"]).encode()).hexdigest()
    assert user.email == f"retired__user_{email_hash}@retired.invalid"
    assert not UserRetirementStatus.objects.filter(user=user).exists()  # cleanup deleted it
    assert UserRetirementRequest.objects.filter(user=user).exists()  # the marker stays
    assert get_potentially_retired_user_by_username("lea.ver") == user
    # After the cleanup: an edit of the scrubbed profile and forced dumps of every object.
    UserProfile.objects.filter(user=user).update(name="")
    profile = UserProfile.objects.get(user=user)
    profile.bio = "saved after the cleanup"
    profile.save()
    force_dump_everything()

    assert hits(ch, database, needles) == {}
    # Enrollments stay for analytics, without the username; the other learner is untouched.
    assert select(ch, "SELECT username, is_active FROM course_enrollment FINAL") == [("", False)]
    assert select(ch, "SELECT count() FROM user_profile WHERE user_id = {u:Int64}", u=user.id) == [
        (0,)
    ]
    assert select(ch, "SELECT name FROM user_profile FINAL WHERE user_id = {u:Int64}", u=stayer.id)
    assert ClickHouseRetirement.objects.get(user_id=user.id).state == ClickHouseRetirement.DONE


def test_names_in_the_reporting_database_go_with_the_retirement(ch, clickhouse):
    """With PII on, learner_pii holds the learner's name/email by pseudonym; after the
    retirement no reporting table holds anything that identifies them."""
    user, needles = leaver()
    stayer, _ = make_user("stays", name="Stay Here")
    make_external_id(stayer)
    reporting = clickhouse.client(database=clickhouse.reporting_database)
    before = hits(reporting, clickhouse.reporting_database, needles)
    # The external id itself never reaches the reporting database, only its pseudonym.
    assert set(before) == {"username", "email", "name"}, before
    # Only in learner_pii (its materialized views list the same rows).
    tables = {place.split(".")[0] for found in before.values() for place in found}
    assert tables and all(table.startswith("learner_pii") for table in tables), tables

    retire_fully(user)
    force_dump_everything()

    assert hits(reporting, clickhouse.reporting_database, needles) == {}
    names = select(reporting, "SELECT user_id, name FROM learner_pii FINAL ORDER BY user_id")
    assert names == [(stayer.id, "Stay Here")]


class RetiresBetweenReadAndInsert:
    """A sink whose first page is read, then the user retires, then the page is inserted."""

    def __init__(self, user):
        self.user = user
        self.read_rows_of_user: list[int] = []

    def prepare(self, sink, rows, run):
        if not self.read_rows_of_user:
            self.read_rows_of_user.append(len(rows))
            request_deletion(self.user).retire_misc()  # the retirement DELETE runs now
        return rows


@pytest.mark.parametrize("sink_class", [UserProfileSink, ExternalIdSink, CourseEnrollmentSink])
def test_a_page_read_before_the_delete_and_inserted_after_it_is_retired_again(
    ch, clickhouse, backend_config, sink_class
):
    user, needles = leaver()
    stayer, _ = make_user("stays", name="Stay Here")
    make_external_id(stayer)
    race = RetiresBetweenReadAndInsert(user)

    class Racing(sink_class):
        def prepare(self, rows, run):
            return race.prepare(self, super().prepare(rows, run), run)

    result = dump(
        Racing(),
        DumpOptions(
            batch_size=100,
            sleep_time=0,
            ids=None,
            ids_to_skip=None,
            start_pk=None,
            limit=None,
            force=True,
            dry_run=False,
        ),  # fmt: skip
        lambda: backend.get_client(backend_config),
        backend_config["database"],
        io.StringIO(),
    )
    assert result.dumped >= 1 and race.read_rows_of_user[0] >= 1
    assert hits(ch, clickhouse.event_sink_database, needles) == {}
    if sink_class is not CourseEnrollmentSink:
        count = "SELECT count() FROM {t:Identifier} FINAL WHERE user_id = {u:Int64}"
        assert select(ch, count, t=sink_class.table, u=stayer.id) == [(1,)]


def test_a_delete_that_fails_permanently_is_recorded_and_redriven_once(ch, settings):
    user, needles = leaver()
    settings.EVENT_SINK_CLICKHOUSE_PII_MODELS = ["user_profile", "no_such_table", "external_id"]
    retire_fully(user)  # the failure is logged and recorded; the platform's steps go on
    record = ClickHouseRetirement.objects.get(user_id=user.id)
    assert record.state == ClickHouseRetirement.PENDING
    assert "no_such_table" in record.last_error and record.attempts == 1

    out = io.StringIO()
    call_command("retire_users_from_clickhouse", "--list", stdout=out)
    assert f"user {user.id}: pending, 1 attempt(s)" in out.getvalue()
    assert "1 retirement(s) not done: 1 pending" in out.getvalue()
    with pytest.raises(CommandError, match=f"could not be driven \\(users {user.id}\\)"):
        call_command("retire_users_from_clickhouse", "--redrive", stdout=io.StringIO())

    settings.EVENT_SINK_CLICKHOUSE_PII_MODELS = ["user_profile", "external_id"]
    out = io.StringIO()
    call_command("retire_users_from_clickhouse", "--redrive", stdout=out)
    assert out.getvalue() == f"user {user.id}: done\n"
    assert select(ch, "SELECT count() FROM user_profile WHERE user_id = {u:Int64}", u=user.id) == [
        (0,)
    ]
    out = io.StringIO()
    call_command("retire_users_from_clickhouse", "--redrive", stdout=out)  # idempotent
    assert "Nothing to re-drive" in out.getvalue()
    call_command("retire_users_from_clickhouse", "--list", stdout=(out := io.StringIO()))
    assert "No retirement is waiting" in out.getvalue()


def test_a_task_that_gives_up_leaves_a_pending_record(embedded_clickhouse, ch, settings, worker):
    user, _ = leaver()
    settings.EVENT_SINK_CLICKHOUSE_MAX_RETRIES = 1
    settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS = 0.01
    retirement = request_deletion(user)

    def given_up() -> bool:
        return (
            ClickHouseRetirement.objects.filter(user_id=user.id, attempts=2)
            .exclude(last_error="")
            .exists()
        )

    embedded_clickhouse.stop()
    try:
        assert retirement.retire_misc() == 204  # the platform's step is never held up
        assert wait_for(given_up), list(ClickHouseRetirement.objects.values())
    finally:
        embedded_clickhouse.start()
    record = ClickHouseRetirement.objects.get(user_id=user.id)
    assert record.state == ClickHouseRetirement.PENDING
    assert "OperationalError" in record.last_error
    call_command("retire_users_from_clickhouse", "--redrive", stdout=(out := io.StringIO()))
    assert out.getvalue() == f"user {user.id}: done\n"
    assert select(ch, "SELECT count() FROM external_id WHERE user_id = {u:Int64}", u=user.id) == [
        (0,)
    ]


def test_retirements_the_app_never_saw_are_redriven_from_the_requests(ch, settings):
    user, _ = leaver()
    settings.EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_EXTERNAL_ID_ENABLED = False
    request_deletion(user)  # never reaches retire_misc: no signal, no record
    assert not ClickHouseRetirement.objects.exists()
    call_command(
        "retire_users_from_clickhouse",
        "--redrive",
        "--from-requests",
        stdout=(out := io.StringIO()),
    )
    assert out.getvalue() == f"user {user.id}: done\n"
    assert select(ch, "SELECT count() FROM user_profile WHERE user_id = {u:Int64}", u=user.id) == [
        (0,)
    ]
    with pytest.raises(CommandError, match="only works with --redrive"):
        call_command("retire_users_from_clickhouse", "--list", "--from-requests")


def test_a_submitted_retirement_is_confirmed_without_being_submitted_again(ch, clickhouse):
    user, _ = leaver()
    ClickHouseRetirement.objects.create(user_id=user.id, state=ClickHouseRetirement.SUBMITTED)
    ch.command("TRUNCATE TABLE user_profile")
    ch.command("TRUNCATE TABLE external_id")
    ch.command("TRUNCATE TABLE course_enrollment")
    ch.command(f"TRUNCATE TABLE `{clickhouse.reporting_database}`.learner_pii")
    call_command("retire_users_from_clickhouse", "--redrive", stdout=(out := io.StringIO()))
    assert out.getvalue() == f"user {user.id}: done\n"
    mutations = select(
        ch, "SELECT count() FROM system.mutations WHERE database = currentDatabase()"
    )
    assert mutations == [(0,)]  # confirmed by the check alone: no mutation was submitted


def test_cluster_retirement_is_a_mutation_on_cluster_that_nobody_waits_for(ch):
    from aspects_platform.sinks import user_retirement

    sink = UserRetirementSink()
    statements = dict(sink.statements("event_sink", "analytics"))
    reporting_pii = (
        f"{settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG['reporting_database']}.learner_pii"
    )
    assert set(statements) == {"user_profile", "external_id", "course_enrollment", reporting_pii}
    for table, statement in statements.items():
        text = ch.query("SELECT formatQuery({q:String})", parameters={"q": statement})
        text = text.result_rows[0][0]
        qualified = table if "." in table else f"event_sink.{table}"
        assert text.startswith(f"ALTER TABLE {qualified} ON CLUSTER analytics")
        assert "user_id = {user_id:Int64}" in text
    assert "DELETE WHERE" in statements["user_profile"]
    assert "DELETE WHERE" in statements[reporting_pii]
    assert "UPDATE username = ''" in statements["course_enrollment"]
    assert not any(s.startswith("DELETE FROM") for s in statements.values())  # no lightweight
    assert user_retirement.CLUSTER_SETTINGS == {"mutations_sync": 0}
    assert user_retirement.SINGLE_NODE_SETTINGS == {"mutations_sync": 1}


def test_the_cluster_check_reads_every_replica(ch, clickhouse):
    check = (
        "SELECT count() FROM clusterAllReplicas(`analytics`, `event_sink`.`user_profile`) "
        "WHERE user_id = {user_id:Int64}"
    )
    text = ch.query("SELECT formatQuery({q:String})", parameters={"q": check}).result_rows[0][0]
    assert "clusterAllReplicas(analytics, event_sink.user_profile)" in text
    # The single-node check runs for real: nothing left for a user never dumped.
    remaining = UserRetirementSink().remaining_rows(ch, clickhouse.event_sink_database, 424242)
    assert remaining == {
        "user_profile": 0,
        "external_id": 0,
        "course_enrollment": 0,
        f"{clickhouse.reporting_database}.learner_pii": 0,
    }


def test_with_pii_off_no_waffle_flag_turns_a_pii_sink_on(ch, settings):
    settings.EVENT_SINK_CLICKHOUSE_PII_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = True  # a stale setting
    settings.EVENT_SINK_CLICKHOUSE_COURSE_OVERVIEWS_ENABLED = False
    with (
        override_flag("event_sink_clickhouse.user_profile.enabled", active=True),
        override_flag("event_sink_clickhouse.external_id.enabled", active=True),
        override_flag("event_sink_clickhouse.course_overviews.enabled", active=True),
    ):
        assert not UserProfileSink.is_enabled()
        assert not ExternalIdSink.is_enabled()
        assert MODEL_SINKS["course_overviews"].is_enabled()  # not PII: the flag works
        user, _ = make_user("private", name="Private Person")
        make_external_id(user)
        with pytest.raises(CommandError, match="EVENT_SINK_CLICKHOUSE_PII_ENABLED = True"):
            call_command("dump_data_to_clickhouse", "--object", "user_profile")
    assert select(ch, "SELECT count() FROM user_profile") == [(0,)]
    assert select(ch, "SELECT count() FROM external_id") == [(0,)]


@pytest.mark.parametrize(
    ("retirement_switch", "profile_sink", "on"),
    [(True, False, True), (False, True, True), (False, False, False)],
)
def test_retirement_runs_with_its_own_switch_or_any_pii_sink(
    settings, retirement_switch, profile_sink, on
):
    """The retirement sink (switch ``auth_user``) is on by its own switch, or because a PII
    sink is on (its rows must not outlive the user), and off only when both are off."""
    settings.EVENT_SINK_CLICKHOUSE_PII_ENABLED = True
    settings.EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED = retirement_switch
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = profile_sink
    settings.EVENT_SINK_CLICKHOUSE_EXTERNAL_ID_ENABLED = False
    assert UserRetirementSink.is_enabled() is on


def test_a_retirement_is_recorded_even_while_its_sink_is_off(settings):
    user, _ = leaver()
    retirement = request_deletion(user)
    settings.EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_EXTERNAL_ID_ENABLED = False
    ClickHouseRetirement.objects.create(user_id=user.id, state=ClickHouseRetirement.DONE)
    assert retirement.retire_misc() == 204
    # Recorded (pending again) even with every sink off: --redrive will retire the user later.
    assert ClickHouseRetirement.objects.get(user_id=user.id).state == ClickHouseRetirement.PENDING


def test_a_cancelled_retirement_unmarks_the_user(ch):
    from openedx.core.djangoapps.user_api.accounts.utils import handle_retirement_cancellation

    user, _ = leaver()
    request_deletion(user)
    profile = UserProfile.objects.get(user=user)
    profile.name = "Saved while the request is pending"
    profile.save()
    names = "SELECT name FROM user_profile FINAL WHERE user_id = {u:Int64}"
    assert select(ch, names, u=user.id) == [("Lea Verlassen",)]  # marked: not written

    handle_retirement_cancellation(UserRetirementStatus.objects.get(user=user))
    assert not UserRetirementRequest.objects.filter(user=user).exists()
    profile.name = "Stays after all"
    profile.save()
    assert select(ch, names, u=user.id) == [("Stays after all",)]


def test_a_dump_between_the_request_and_the_scrub_never_sends_the_username(
    ch, settings, backend_config
):
    """Once the learner asked to be deleted, the platform still has their username until its
    LMS retirement step renames them. A forced dump of every object in that window writes their
    enrollment (kept for analytics) but never puts the username on the wire, not even for the
    moment before the retirement's own UPDATE blanks the stored rows."""
    user, needles = leaver()
    request_deletion(user)
    relay = Relay(backend_config["url"])
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {**backend_config, "url": relay.url}
    try:
        force_dump_everything()
    finally:
        relay.close()
    user.refresh_from_db()
    assert user.username == needles["username"], "the platform has not scrubbed it yet"
    sent = [unquote_plus(r.line).encode() + b"\n" + sent_body(r) for r in relay.requests()]
    assert any(b"INSERT INTO" in wire and b"course_enrollment" in wire for wire in sent)
    assert not [wire[:200] for wire in sent if needles["username"].encode() in wire]
    rows = "SELECT username, user_id FROM course_enrollment FINAL"
    assert select(ch, rows) == [("", user.id)]
