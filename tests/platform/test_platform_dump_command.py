"""``dump_data_to_clickhouse``: every flag, exact limits, resume points, PII refusal."""

import io
import itertools

import pytest
from common.djangoapps.student.models import CourseEnrollment, UserProfile
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from waffle.models import Flag

from tests.platform.conftest import select
from tests.platform.factories import EXPECTED_OUTLINE, build_course

pytestmark = pytest.mark.django_db


def seed_profiles(count: int) -> list[int]:
    """``count`` users with profiles (bulk: no signals); returns the profile pks in order."""
    users = User.objects.bulk_create(
        [User(username=f"u{i:05d}", email=f"u{i}@example.com") for i in range(count)]
    )
    UserProfile.objects.bulk_create(
        [UserProfile(user=u, name=f'Name, {i} "q"\n') for i, u in enumerate(users)]
    )
    return list(UserProfile.objects.order_by("pk").values_list("pk", flat=True))


def dump(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("dump_data_to_clickhouse", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def dumped_ids(ch, table: str = "user_profile") -> list[int]:
    return [r[0] for r in select(ch, f"SELECT id FROM {table} ORDER BY id")]  # noqa: S608


def test_dumps_every_profile_with_progress_and_resume_points(ch):
    pks = seed_profiles(23)
    out, err = dump("--object", "user_profile", "--batch_size", "10")
    assert dumped_ids(ch) == pks
    assert "Dumped 23 user_profile objects" in out
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    assert lines[0].startswith("user_profile: dumped 10/23 (43.5%)")
    assert "rows/s ETA" in lines[0]
    assert lines[-1].endswith(f"resume with --start_pk {pks[-1]}")
    names = select(ch, "SELECT name FROM user_profile WHERE id = {i:Int64}", i=pks[3])
    assert names == [('Name, 3 "q"\n',)]
    assert len(select(ch, "SELECT DISTINCT dump_id FROM user_profile")) == 1


def test_limit_is_exact_whatever_the_batch_size(ch):
    pks = seed_profiles(12)
    out, _ = dump("--object", "user_profile", "--limit", "7", "--batch_size", "5")
    assert dumped_ids(ch) == pks[:7]
    assert "Dumped 7 " in out


def test_start_pk_resumes_after_that_key(ch):
    pks = seed_profiles(10)
    dump("--object", "user_profile", "--start_pk", str(pks[5]))
    assert dumped_ids(ch) == pks[6:]


def test_ids_and_ids_to_skip(ch):
    pks = seed_profiles(8)
    dump("--object", "user_profile", "--ids", *map(str, pks[:4]), "--ids_to_skip", str(pks[1]))
    assert dumped_ids(ch) == [pks[0], pks[2], pks[3]]


def test_dry_run_counts_and_writes_nothing(ch):
    seed_profiles(9)
    out, err = dump("--object", "user_profile", "--dry-run", "--limit", "4", "--batch_size", "3")
    assert "Dry run: would dump 4 user_profile objects (of 4 selected); nothing written." in out
    assert "would dump 4/4" in err
    assert dumped_ids(ch) == []


def test_sleep_time_pauses_between_batches(ch, backend_config):
    """ClickHouse's query log shows one INSERT per page, each a pause after the previous one."""
    pks = seed_profiles(3)
    started = ch.command("SELECT now64(6)")
    dump("--object", "user_profile", "--batch_size", "1", "--sleep_time", "1")
    assert dumped_ids(ch) == pks
    ch.command("SYSTEM FLUSH LOGS")
    inserts = select(
        ch,
        "SELECT written_rows, query_start_time_microseconds FROM system.query_log "
        "WHERE type = 'QueryFinish' AND query_kind = 'Insert' "
        "AND query_start_time_microseconds >= {started:DateTime64(6)} "
        "AND has(tables, {table:String}) ORDER BY query_start_time_microseconds",
        started=started,
        table=f"{backend_config['database']}.user_profile",
    )
    assert [rows for rows, _ in inserts] == [1, 1, 1], "one INSERT per page"
    gaps = [(b[1] - a[1]).total_seconds() for a, b in itertools.pairwise(inserts)]
    assert min(gaps) >= 0.5, f"pages sent {gaps} s apart with --sleep_time 1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--object", "nope"], "invalid choice: 'nope'"),
        (["--object", "user_profile", "--batch_size", "0"], "must be 1 or more"),
        (["--object", "user_profile", "--limit", "0"], "must be 1 or more"),
        (["--object", "user_profile", "--sleep_time", "-1"], "must be 0 or more"),
        (["--object", "user_profile", "--sleep_time", "soon"], "not a number of seconds"),
        (["--object", "user_profile", "--database", "bad-name"], "invalid ClickHouse database"),
        (["--object", "user_profile", "--start_pk", "abc"], "--start_pk 'abc' is not a valid"),
        (["--object", "course_overviews", "--ids", "not-a-key"], "--ids 'not-a-key' is not a"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message) as error:
        dump(*args)
    if "nope" in args:
        for name in ("course_enrollment", "course_overviews", "external_id", "user_profile"):
            assert name in str(error.value)


def test_unknown_object_exits_non_zero_listing_the_choices():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "sandbox/manage.py", "dump_data_to_clickhouse", "--object", "nope"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD": "x"},
        timeout=60,
    )
    assert result.returncode != 0
    for name in ("course_enrollment", "course_overviews", "external_id", "user_profile"):
        assert name in result.stderr


def test_pii_object_refused_while_disabled(settings, ch):
    seed_profiles(2)
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = False
    with pytest.raises(CommandError) as error:
        dump("--object", "user_profile")
    assert "EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED" in str(error.value)
    assert "event_sink_clickhouse.user_profile.enabled" in str(error.value)
    assert dumped_ids(ch) == []
    Flag.objects.create(name="event_sink_clickhouse.user_profile.enabled", everyone=True)
    dump("--object", "user_profile")
    assert len(dumped_ids(ch)) == 2


def test_connection_overrides(settings, backend_config, ch):
    seed_profiles(2)
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **backend_config,
        "url": "http://127.0.0.1:9",
        "username": "nobody",
        "password": "wrong",
        "database": "missing_db",
        "timeout_secs": 1,
    }
    dump(
        "--object", "user_profile",
        "--url", backend_config["url"],
        "--username", backend_config["username"],
        # "=" form: a password may start with "-", which argparse would read as an option.
        f"--password={backend_config['password']}",
        "--database", backend_config["database"],
        "--timeout_secs", "5",
    )  # fmt: skip
    assert len(dumped_ids(ch)) == 2


def test_failure_names_the_error_and_never_prints_the_password(backend_config):
    seed_profiles(1)
    secret = "s3cret-Pa55word"
    with pytest.raises(CommandError) as error:
        dump("--object", "user_profile", "--password", secret)
    message = str(error.value)
    assert secret not in message
    assert "failed after 0 rows" in message and "nothing was written" in message, message
    assert "batches not written" not in message, message


def test_bad_row_fails_the_batch_and_the_resume_point_works(ch):
    pks = seed_profiles(6)
    with connection.cursor() as cursor:  # a value ClickHouse cannot parse as Int32
        cursor.execute("UPDATE auth_userprofile SET year_of_birth = 'abc' WHERE id = %s", [pks[4]])
    with pytest.raises(CommandError) as error:
        dump("--object", "user_profile", "--batch_size", "2")
    message = str(error.value)
    assert "failed after 4 rows" in message
    assert f"resume with --start_pk {pks[3]}" in message
    assert dumped_ids(ch) == pks[:4], "the failed batch wrote nothing, nothing was skipped"
    UserProfile.objects.filter(pk=pks[4]).update(year_of_birth=1990)
    dump("--object", "user_profile", "--start_pk", str(pks[3]))
    assert dumped_ids(ch) == pks


def test_enrollments_and_external_ids(ch):
    users = User.objects.bulk_create([User(username=f"e{i}") for i in range(3)])
    CourseEnrollment.objects.bulk_create(
        [CourseEnrollment(user=u, course_id="course-v1:O+N+R", mode="audit") for u in users]
    )
    dump("--object", "course_enrollment")
    rows = select(ch, "SELECT username, course_key, is_active FROM course_enrollment ORDER BY id")
    assert rows == [(f"e{i}", "course-v1:O+N+R", True) for i in range(3)]


def test_course_overviews_only_changed_courses_unless_forced(ch):
    # Publishing creates the overviews (the platform's receiver); on_commit never runs here.
    keys = [build_course(number=f"K{i}") for i in range(3)]
    out, _ = dump("--object", "course_overviews")
    assert "Dumped 3 " in out
    counts = select(ch, "SELECT course_key, count() FROM course_blocks GROUP BY course_key")
    assert sorted(counts) == sorted((str(k), len(EXPECTED_OUTLINE)) for k in keys)

    out, _ = dump("--object", "course_overviews")
    assert "Dumped 0 " in out, "nothing changed since the last dump"

    overview = CourseOverview.objects.get(id=keys[1])
    overview.display_name = "Renamed"
    overview.save()
    out, _ = dump("--object", "course_overviews")
    assert "Dumped 1 " in out
    latest = select(
        ch,
        "SELECT display_name FROM course_overviews WHERE course_key = {k:String} "
        "ORDER BY time_last_dumped DESC LIMIT 1",
        k=str(keys[1]),
    )
    assert latest == [("Renamed",)]

    out, _ = dump("--object", "course_overviews", "--force", "--ids", str(keys[0]))
    assert "Dumped 1 " in out
    out, _ = dump("--object", "course_overviews", "--force")
    assert "Dumped 3 " in out


def test_limit_is_exact_over_the_stale_courses(ch):
    """The staleness filter reads whole pages; the limit trims what it keeps."""
    keys = [build_course(number=f"L{i}") for i in range(3)]  # published: overviews exist
    first = min(keys, key=str)  # CourseOverview's pk is the course key
    out, _ = dump("--object", "course_overviews", "--limit", "1")
    assert "Dumped 1 course_overviews objects" in out, out
    assert select(ch, "SELECT course_key FROM course_overviews") == [(str(first),)]
    blocks = select(ch, "SELECT course_key, count() FROM course_blocks GROUP BY course_key")
    assert blocks == [(str(first), len(EXPECTED_OUTLINE))]


def test_pages_follow_the_primary_key_not_the_model_ordering(ch):
    """CourseEnrollment orders by (user, course); keyset pages must still walk the pk."""
    users = User.objects.bulk_create([User(username=f"k{i}") for i in range(3)])
    u0, u1, u2 = users
    created = [(u2, "A"), (u1, "B"), (u0, "C"), (u2, "B"), (u0, "A"), (u1, "A")]
    for user, course in created:  # pk order differs from (user, course) order
        CourseEnrollment.objects.create(user=user, course_id=f"course-v1:O+{course}+R")
    pks = list(CourseEnrollment.objects.order_by("pk").values_list("pk", flat=True))
    assert list(CourseEnrollment.objects.values_list("pk", flat=True)) != pks
    out, _ = dump("--object", "course_enrollment", "--batch_size", "2")
    assert "Dumped 6 course_enrollment objects" in out, out
    rows = select(ch, "SELECT id, count() FROM course_enrollment GROUP BY id ORDER BY id")
    assert rows == [(pk, 1) for pk in pks], "every enrollment exactly once"


def test_course_overviews_progress_counts_only_the_stale_courses(ch):
    keys = [build_course(number=f"P{i}") for i in range(3)]
    dump("--object", "course_overviews", "--ids", str(keys[1]))  # keys[1] is now up to date

    out, err = dump("--object", "course_overviews", "--dry-run")
    assert "would dump 2 course_overviews objects (of 2 selected; 1 already up to date)" in out
    assert err.strip().splitlines()[-1].startswith("course_overviews: would dump 2/2 (100.0%)")

    out, err = dump("--object", "course_overviews", "--batch_size", "1")
    assert "Dumped 2 " in out
    lines = err.strip().splitlines()
    assert all("/2 (" in line for line in lines), err
    assert lines[0].startswith("course_overviews: dumped 1/2 (50.0%)"), err
    assert lines[-1].startswith("course_overviews: dumped 2/2 (100.0%)"), err
    assert lines[-1].endswith(f"resume with --start_pk {max(keys, key=str)}"), err

    out, err = dump("--object", "course_overviews", "--limit", "1")
    assert "Dumped 0 " in out and "0/0 (100.0%)" in err, "nothing is stale any more"
