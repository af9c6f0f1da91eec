"""Each sink writes the right row after commit, nothing on rollback (sandbox LMS + ClickHouse)."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from common.djangoapps.student.models import CourseEnrollment, UserProfile
from django.db import transaction
from opaque_keys.edx.keys import CourseKey
from xmodule.modulestore import ModuleStoreEnum
from xmodule.modulestore.django import SignalHandler, modulestore

from tests.platform.conftest import latest_outline, naive_utc, select
from tests.platform.factories import (
    EXPECTED_OUTLINE,
    TRICKY_TEXTS,
    USER_ID,
    build_course,
    make_external_id,
    make_user,
    publish_course,
)
from tests.platform.retirement_pipeline import start_and_retire_misc

pytestmark = pytest.mark.django_db(transaction=True)


def profile_rows(ch, user_id: int) -> list[tuple]:
    return select(
        ch,
        "SELECT id, user_id, name, username, email, meta, courseware, language, location, "
        "year_of_birth, gender, level_of_education, mailing_address, city, country, state, "
        "goals, bio, profile_image_uploaded_at, phone_number, toString(dump_id) "
        "FROM user_profile WHERE user_id = {uid:Int64}",
        uid=user_id,
    )


def test_pii_sinks_write_nothing_unless_the_operator_turns_pii_on(ch, settings):
    """EVENT_SINK_CLICKHOUSE_PII_ENABLED unset (an LMS without Aspects' settings) is off."""
    del settings.EVENT_SINK_CLICKHOUSE_PII_ENABLED
    user, _ = make_user("nopii", name="Not Exported")
    make_external_id(user)
    for table in ("user_profile", "external_id"):
        count = "SELECT count() FROM {table:Identifier} WHERE user_id = {u:Int64}"
        assert select(ch, count, table=table, u=user.id) == [(0,)]


def test_user_profile_row_written_after_commit(ch):
    uploaded = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    with transaction.atomic():
        user, profile = make_user(
            "ada",
            name="Ada Lovelace",
            meta='{"k": 1}',
            year_of_birth=1815,
            gender="f",
            level_of_education="p",
            mailing_address="12 St James's Square",
            city="London",
            country="GB",
            goals="engines",
            bio="Analyst",
            profile_image_uploaded_at=uploaded,
            phone_number="+44 20",
        )
        assert profile_rows(ch, user.id) == [], "nothing may be written before the commit"
    [row] = profile_rows(ch, user.id)
    assert naive_utc(row[18]) == naive_utc(uploaded)
    assert row[:18] + row[19:-1] == (
        profile.id,
        user.id,
        "Ada Lovelace",
        "ada",
        f"{user.username}@example.com",
        '{"k": 1}',
        "course.xml",
        "",
        "",
        1815,
        "f",
        "p",
        "12 St James's Square",
        "London",
        "GB",
        "",
        "engines",
        "Analyst",
        "+44 20",
    )
    uuid.UUID(row[-1])


def test_nullable_profile_fields_round_trip_as_null_or_empty(ch):
    user, _ = make_user("nulls")
    [row] = profile_rows(ch, user.id)
    assert row[9] is None  # year_of_birth Nullable(Int32)
    assert row[10:18] == ("",) * 8  # nullable text fields -> ''
    assert row[18] is None  # profile_image_uploaded_at


def test_nothing_written_on_rollback(ch):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        user, _ = make_user("ghost", name="Ghost")
        user_id = user.id
        raise Boom
    assert profile_rows(ch, user_id) == []
    assert select(ch, "SELECT count() FROM user_profile") == [(0,)]


def test_every_profile_save_writes_a_row(ch):
    user, profile = make_user("grace", name="Grace")
    profile.name = "Grace Hopper"
    profile.save()
    names = [row[2] for row in profile_rows(ch, user.id)]
    assert sorted(names) == ["Grace", "Grace Hopper"]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tricky_names_and_bios_read_back_exactly(ch, text):
    user, _ = make_user(f"tricky{abs(hash(text)) % 10**8}", name=text, bio=text, goals=text)
    [row] = profile_rows(ch, user.id)
    assert (row[2], row[16], row[17]) == (text, text, text)


def test_external_id_row(ch):
    user, _ = make_user("ext")
    external_id = make_external_id(user, "xapi")
    rows = select(
        ch,
        "SELECT external_user_id, external_id_type, username, user_id FROM external_id "
        "WHERE user_id = {uid:Int64}",
        uid=user.id,
    )
    assert rows == [(external_id.external_user_id, "xapi", "ext", user.id)]


def test_enrollment_rows_follow_status_changes(ch, merges_stopped):
    user, _ = make_user("learner")
    key = CourseKey.from_string("course-v1:OrgX+E1+2026")
    enrollment = CourseEnrollment.enroll(user, key, mode="verified")
    CourseEnrollment.unenroll(user, key)
    rows = select(
        ch,
        "SELECT id, course_key, is_active, mode, username, user_id, created FROM "
        "course_enrollment WHERE user_id = {uid:Int64} ORDER BY time_last_dumped",
        uid=user.id,
    )
    assert [r[:6] for r in rows] == [
        (enrollment.id, str(key), True, "verified", "learner", user.id),
        (enrollment.id, str(key), False, "verified", "learner", user.id),
    ]
    assert naive_utc(rows[0][6]) == naive_utc(enrollment.created)


def test_enrollment_in_rolled_back_transaction_writes_nothing(ch):
    user, _ = make_user("undecided")
    with pytest.raises(RuntimeError), transaction.atomic():
        CourseEnrollment.enroll(user, CourseKey.from_string("course-v1:OrgX+E2+2026"))
        raise RuntimeError("rollback")
    assert select(ch, "SELECT count() FROM course_enrollment") == [(0,)]


def test_course_publish_writes_overview_and_every_block_in_outline_order(ch):
    key = build_course()
    overview = select(
        ch,
        "SELECT org, course_key, display_name, self_paced, course_data_json, "
        "toString(dump_id) FROM course_overviews",
    )
    assert [o[:4] for o in overview] == [("OrgX", str(key), "C1 course", False)]
    assert json.loads(overview[0][4])["invitation_only"] is False
    blocks = select(
        ch,
        "SELECT `order`, block_type, location, section, subsection, unit, detached, graded, "
        "display_name, xblock_data_json, toString(dump_id) FROM course_blocks ORDER BY `order`",
    )
    got = [(b[1], b[2].split("@")[-1], b[3], b[4], b[5], b[6]) for b in blocks]
    assert got == EXPECTED_OUTLINE
    assert [b[0] for b in blocks] == list(range(1, len(EXPECTED_OUTLINE) + 1))
    assert {b[10] for b in blocks} == {overview[0][5]}, "blocks share the course's dump_id"
    by_id = {b[2].split("@")[-1]: b for b in blocks}
    assert by_id["a1"][7] is True and by_id["p1"][7] is True and by_id["a2"][7] is False
    assert by_id["h1"][8] == "h1", "display_name_with_default for a block without a name"
    assert by_id["a1a"][2] == str(key.make_usage_key("vertical", "a1a"))
    data = json.loads(by_id["v1"][9])
    assert data["section"] == 1 and data["unit"] == 2 and data["block_type"] == "video"
    assert data["completion_mode"] == "completable"
    data = json.loads(by_id["a2a"][9])  # section, subsection and unit all differ here
    assert (data["section"], data["subsection"], data["unit"]) == (1, 2, 1)
    assert data["completion_mode"] == "aggregator"


def test_course_data_json_gives_dates_as_the_utc_text_of_the_date_columns(ch):
    """A datetime inside course_data_json (``announcement``) is the DateTime64 text the date
    columns use, in UTC, whatever zone the course gave it; the other values keep their types."""
    key = CourseKey.from_string("course-v1:OrgX+Ann+2026")
    store = modulestore()
    announced = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
        with SignalHandler.course_published.for_state(is_enabled=False):
            store.create_course(
                key.org, key.course, key.run, USER_ID, fields={"announcement": announced}
            )
    publish_course(key)
    (text,) = select(ch, "SELECT course_data_json FROM course_overviews FINAL")[0]
    data = json.loads(text)
    assert data["announcement"] == "2026-03-01 09:30:00.000000"
    assert data["invitation_only"] is False and data["lowest_passing_grade"] == 0.5


def test_nested_verticals_keep_the_enclosing_unit_number(ch):
    """Verticals below a unit (split_test groups) are not units; misplaced chapters/sequentials
    are not sections/subsections either."""
    store = modulestore()
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred):
        course = store.create_course("OrgX", "Nest", "2026", USER_ID)
        key = course.id
        parents = {"course": course.location}
        for block_type, block_id, parent in [
            ("chapter", "s1", "course"),
            ("sequential", "q1", "s1"),
            ("vertical", "u1", "q1"),
            ("split_test", "ab", "u1"),
            ("vertical", "groupA", "ab"),
            ("problem", "pa", "groupA"),
            ("vertical", "groupB", "ab"),
            ("library_content", "lib", "u1"),
            ("vertical", "libv", "lib"),
            ("chapter", "odd_chapter", "u1"),
            ("sequential", "odd_seq", "u1"),
            ("vertical", "u2", "q1"),
            ("sequential", "q2", "s1"),
            ("vertical", "u3", "q2"),
        ]:
            if block_type in ("chapter", "sequential") and parent == "u1":
                # A direct-only block is published at once: its parent must be published first.
                store.publish(parents[parent], USER_ID)
            child = store.create_child(USER_ID, parents[parent], block_type, block_id)
            parents[block_id] = child.location
    publish_course(key)
    blocks = latest_outline(ch, key, "location, section, subsection, unit")
    assert [(b[0].split("@")[-1], *b[1:]) for b in blocks] == [
        ("course", 0, 0, 0),
        ("s1", 1, 0, 0),
        ("q1", 1, 1, 0),
        ("u1", 1, 1, 1),
        ("ab", 1, 1, 1),
        ("groupA", 1, 1, 1),
        ("pa", 1, 1, 1),
        ("groupB", 1, 1, 1),
        ("lib", 1, 1, 1),
        ("libv", 1, 1, 1),
        ("odd_chapter", 1, 1, 1),
        ("odd_seq", 1, 1, 1),
        ("u2", 1, 1, 2),
        ("q2", 1, 2, 0),
        ("u3", 1, 2, 1),
    ]


def test_republishing_an_unchanged_course_keeps_one_row_per_block(ch):
    key = build_course(number="C2")
    latest = "SELECT max(time_last_dumped) FROM course_blocks"
    [(first,)] = select(ch, latest)
    for _ in range(4):
        publish_course(key)
    assert select(ch, latest)[0][0] > first, "each publish wrote the outline again"
    rows = select(ch, "SELECT count(), uniqExact(location) FROM course_blocks FINAL")
    assert rows == [(len(EXPECTED_OUTLINE), len(EXPECTED_OUTLINE))]


def test_retirement_removes_the_user_from_every_pii_table(ch):
    gone, _ = make_user("gone", name="Gone Person")
    make_external_id(gone)
    kept, _ = make_user("kept", name="Kept Person")
    make_external_id(kept)
    count = "SELECT count() FROM {table:Identifier} WHERE user_id = {u:Int64}"
    for table in ("user_profile", "external_id"):
        assert select(ch, count, table=table, u=gone.id) == [(1,)]
    start_and_retire_misc(gone)
    for table in ("user_profile", "external_id"):
        assert select(ch, count, table=table, u=gone.id) == [(0,)]
        assert select(ch, count, table=table, u=kept.id) == [(1,)]


def test_profile_saved_outside_a_transaction_is_written_once(ch):
    user, profile = make_user("plain")
    UserProfile.objects.filter(pk=profile.pk).update(name="bulk update: no signal")
    assert [r[2] for r in profile_rows(ch, user.id)] == [""]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (datetime(2026, 3, 1, 12, 30, 5, 7, tzinfo=timezone(timedelta(hours=2))),
         "2026-03-01 10:30:05.000007"),
        (datetime(2026, 3, 1, 12, 30), "2026-03-01 12:30:00.000000"),  # naive: UTC already
        (date(2026, 3, 1), "2026-03-01 00:00:00.000000"),
        ("2026-03-01 12:30:00.000000", "2026-03-01 12:30:00.000000"),  # already text
    ],
)  # fmt: skip
def test_datetimes_are_written_as_utc_text(value, text):
    from aspects_platform.sinks.encoding import utc_datetime

    assert utc_datetime(value) == text
