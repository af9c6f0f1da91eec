"""``dump_data_to_clickhouse`` at its edges: progress figures, limits that end mid-page, the
pages it reads, and when it looks for retirements that began during the dump."""

import io
import re
import time

import pytest
from aspects_platform.dump import DumpResult
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx.core.djangoapps.user_api.models import UserRetirementRequest

from sandbox.clickhouse_server.process import HOST, free_port
from tests.platform.factories import build_course
from tests.platform.test_platform_dump_command import dump, dumped_ids, seed_profiles
from tests.platform.test_platform_dump_failures import full_disk  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
PROGRESS = re.compile(
    r"^user_profile: dumped (?P<done>[\d,]+)/(?P<total>[\d,]+) \([\d.]+%\) "
    r"(?P<rate>[\d,]+) rows/s ETA (?P<eta>\d+)s; resume with --start_pk \d+$"
)
RETIREMENT_TABLE = UserRetirementRequest._meta.db_table


def page_reads(queries, table: str = "auth_userprofile") -> list[str]:
    """The keyset page SELECTs among ``queries`` (Django's captured SQL)."""
    return [q["sql"] for q in queries if table in q["sql"] and "ORDER BY" in q["sql"]]


def retirement_reads(queries) -> list[str]:
    """Reads of the retirement requests created since a time (not the pages' exclusion)."""
    since = f'"{RETIREMENT_TABLE}"."created" >='
    return [q["sql"] for q in queries if since in q["sql"]]


def test_progress_rate_and_eta_agree_with_the_time_the_dump_took(ch):
    """The rate counts from the start of this dump: at least rows / the whole wall time.
    The pauses between batches make the dump last over a second, so a wrong ETA shows."""
    seed_profiles(23)
    started = time.monotonic()
    out, err = dump("--object", "user_profile", "--batch_size", "10", "--sleep_time", "0.6")
    wall = time.monotonic() - started
    took = re.search(r"in 3 batches, (?P<seconds>[\d.]+)s \((?P<rate>[\d,]+) rows/s\)", out)
    assert took and float(took["seconds"]) <= wall + 0.01, (out, wall)
    assert int(took["rate"].replace(",", "")) + 1 >= 23 / wall, (out, wall)
    lines = [PROGRESS.match(line) for line in err.strip().splitlines()]
    assert len(lines) == 3 and all(lines), err
    for line in lines:
        done, total = int(line["done"].replace(",", "")), int(line["total"])
        rate, eta = int(line["rate"].replace(",", "")), int(line["eta"])
        assert rate + 1 >= done / wall, (line.string, wall)  # printed rounded to a row/s
        assert eta <= (total - done) * wall / done + 1, (line.string, wall)
    assert lines[-1]["eta"] == "0"


def test_rate_is_rows_per_second_and_zero_for_a_run_that_took_no_time():
    result = DumpResult("user_profile", 10, dump_id="d", dry_run=False, resume_pk=None)
    result.dumped, result.seconds = 10, 4.0
    assert result.rate == 2.5
    result.seconds = 0.0
    assert result.rate == 0.0


@pytest.mark.parametrize(("limit", "batch", "pages"), [(7, 5, 2), (4, 3, 2), (3, 10, 1)])
def test_a_limit_reads_only_the_pages_it_needs_and_dumps_exactly_the_limit(ch, limit, batch, pages):
    pks = seed_profiles(12)
    with CaptureQueriesContext(connection) as queries:
        out, _ = dump("--object", "user_profile", "--limit", str(limit), "--batch_size", str(batch))
    assert dumped_ids(ch) == pks[:limit]
    assert f"Dumped {limit} " in out
    reads = page_reads(queries.captured_queries)
    assert len(reads) == pages, reads
    assert reads[-1].endswith(f"LIMIT {limit - batch * (pages - 1)}"), reads[-1]


def test_a_limit_inside_a_page_of_stale_courses_resumes_after_the_last_course_dumped(ch):
    """Course overviews read whole pages (staleness filter): the limit trims the page."""
    keys = sorted((build_course(number=f"R{i}") for i in range(3)), key=str)
    out, err = dump("--object", "course_overviews", "--limit", "2", "--batch_size", "5")
    assert "Dumped 2 course_overviews objects" in out, out
    assert err.strip().splitlines()[-1].endswith(f"resume with --start_pk {keys[1]}"), err
    dump("--object", "course_overviews", "--start_pk", str(keys[1]))
    dumped = [r[0] for r in ch.query("SELECT course_key FROM course_overviews").result_rows]
    assert sorted(dumped) == [str(k) for k in keys], "each course once, none skipped"


def test_a_limit_over_stale_courses_stops_reading_once_reached(ch):
    keys = sorted((build_course(number=f"S{i}") for i in range(3)), key=str)
    with CaptureQueriesContext(connection) as queries:
        out, _ = dump("--object", "course_overviews", "--limit", "1", "--batch_size", "1")
    assert "Dumped 1 course_overviews objects" in out, out
    reads = page_reads(queries.captured_queries, CourseOverview._meta.db_table)
    assert len(reads) == 1, reads
    assert ch.query("SELECT course_key FROM course_overviews").result_rows == [(str(keys[0]),)]


def test_a_dump_of_users_looks_for_retirements_begun_meanwhile_a_dry_run_does_not(ch):
    seed_profiles(3)
    with CaptureQueriesContext(connection) as queries:
        dump("--object", "user_profile", "--dry-run")
    assert not retirement_reads(queries.captured_queries), "a dry run touches nothing"
    with CaptureQueriesContext(connection) as queries:
        dump("--object", "user_profile")
    assert len(retirement_reads(queries.captured_queries)) == 1
    build_course(number="NoUsers")
    with CaptureQueriesContext(connection) as queries:
        dump("--object", "course_overviews")
    assert not retirement_reads(queries.captured_queries), "course rows name no user"


def test_a_failed_dry_run_looks_for_no_retirement(ch, full_disk):  # noqa: F811
    seed_profiles(3)
    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError) as error:
        call_command(
            "dump_data_to_clickhouse", "--object", "user_profile", "--dry-run",
            stdout=io.StringIO(), stderr=full_disk,
        )  # fmt: skip
    assert "progress output failed" in str(error.value)
    assert not retirement_reads(queries.captured_queries)


def test_a_dump_that_wrote_nothing_before_failing_looks_for_no_retirement(ch):
    pks = seed_profiles(4)
    with connection.cursor() as cursor:  # the first row: ClickHouse refuses the first batch
        cursor.execute("UPDATE auth_userprofile SET year_of_birth = 'abc' WHERE id = %s", [pks[0]])
    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError) as error:
        dump("--object", "user_profile", "--batch_size", "2")
    assert "nothing was written" in str(error.value), str(error.value)
    assert not retirement_reads(queries.captured_queries)
    assert dumped_ids(ch) == []


def test_a_dry_run_of_users_needs_no_clickhouse(settings, backend_config):
    seed_profiles(4)
    closed = f"http://{HOST}:{free_port()}"  # nothing listens there
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {**backend_config, "url": closed}
    out, err = dump("--object", "user_profile", "--dry-run", "--batch_size", "3")
    assert "would dump 4 user_profile objects (of 4 selected)" in out, out
    assert "would dump 4/4" in err
