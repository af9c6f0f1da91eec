"""A dump never reports false success: writer-thread failures, progress output, reader errors.

Progress goes to stderr; a full disk is ``/dev/full`` (every write fails with ENOSPC) and a
closed pipe is a pipe whose reading end is closed (EPIPE). The command must then stop non-zero
with the exact resume point, and resuming from it dumps the rest.
"""

import _thread
import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sandbox.lms.paths import REPO_ROOT
from tests.clickhouse.relay import Relay
from tests.platform.test_platform_dump_command import dumped_ids, seed_profiles
from tests.platform.test_sandbox import child_env

MANAGE = str(REPO_ROOT / "sandbox" / "manage.py")


@pytest.fixture
def full_disk():
    """A text stream on ``/dev/full``: every flush fails with ENOSPC, as on a full disk."""
    stream = open("/dev/full", "w")  # noqa: SIM115 - closed below, ignoring its own ENOSPC
    yield stream
    with contextlib.suppress(OSError):
        stream.close()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 12])
def test_progress_on_a_full_disk_fails_with_the_resume_point(ch, full_disk, count):
    """One page (the failure comes after the last batch) or several (queued batches left)."""
    pks = seed_profiles(count)
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            "dump_data_to_clickhouse", "--object", "user_profile", "--batch_size", "5",
            stdout=out, stderr=full_disk,
        )  # fmt: skip
    message = str(error.value)
    first_batch = pks[:5]
    assert "progress output failed" in message, message
    assert f"resume with --start_pk {first_batch[-1]}" in message
    assert message in out.getvalue(), "stderr is unusable: the failure also goes to stdout"
    assert dumped_ids(ch) == first_batch, "exactly the batches before the resume point"
    call_command(
        "dump_data_to_clickhouse", "--object", "user_profile", "--start_pk", str(first_batch[-1]),
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert dumped_ids(ch) == pks


def sandbox_env(tmp_path, clickhouse) -> dict[str, str]:
    """A ``manage.py`` process on its own SQLite file and the test ClickHouse."""
    return child_env(
        ASPECTS_SANDBOX_DIR=str(tmp_path),
        ASPECTS_SANDBOX_DB=str(tmp_path / "lms.sqlite3"),
        ASPECTS_SANDBOX_CLICKHOUSE_URL=clickhouse.url,
        ASPECTS_SANDBOX_CLICKHOUSE_USER=clickhouse.username,
        ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD=clickhouse.password,
        ASPECTS_SANDBOX_CLICKHOUSE_DATABASE=clickhouse.event_sink_database,
    )


@pytest.fixture
def seeded_child(tmp_path, clickhouse):
    """Environment of a child LMS with 12 learners (no sink writes while seeding)."""
    env = sandbox_env(tmp_path, clickhouse)
    subprocess.run(
        [sys.executable, MANAGE, "seed_sandbox", "--users", "12", "--courses", "0",
         "--no-external-ids"],
        env={**env, "ASPECTS_SANDBOX_SINKS_ENABLED": "0"}, cwd=REPO_ROOT, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    return env


def run_dump(env, stderr) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, MANAGE, "dump_data_to_clickhouse", "--object", "user_profile",
         "--batch_size", "5"],
        env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=120,
    )  # fmt: skip


def test_command_on_a_full_disk_exits_non_zero(seeded_child, ch):
    with open("/dev/full", "w") as full:
        result = run_dump(seeded_child, full)
    assert result.returncode != 0, result.stdout
    assert "progress output failed" in result.stdout
    assert_resume_point_is_the_first_batch(result.stdout, ch)


def assert_resume_point_is_the_first_batch(stdout: str, ch) -> None:
    """The first batch (5 rows) was written, and the printed resume point is its last key."""
    written = dumped_ids(ch)
    assert len(written) == 5, written
    assert f"resume with --start_pk {written[-1]}" in stdout, stdout


def test_command_whose_stderr_pipe_is_closed_exits_non_zero(seeded_child, ch):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: every write to stderr fails with EPIPE
    try:
        result = run_dump(seeded_child, write_end)
    finally:
        os.close(write_end)
    assert result.returncode != 0, result.stdout
    assert "progress output failed (BrokenPipeError" in result.stdout
    assert_resume_point_is_the_first_batch(result.stdout, ch)


def wait_until_main_thread_reaches(function: str, then: str | tuple[str, ...]) -> None:
    """Block until the main thread runs ``then`` (a frame name) inside ``function``."""
    main = threading.main_thread().ident
    names = (then,) if isinstance(then, str) else then
    while True:
        frame, stack = sys._current_frames().get(main), []
        while frame is not None:
            stack.append(frame.f_code.co_name)
            frame = frame.f_back
        if function in stack and any(name in stack[: stack.index(function)] for name in names):
            return
        threading.Event().wait(0.01)


def main_thread_leaves(function: str, within: float) -> bool:
    """Whether the main thread is out of ``function`` within ``within`` seconds."""
    main, deadline = threading.main_thread().ident, time.monotonic() + within
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(main)
        while frame is not None and frame.f_code.co_name != function:
            frame = frame.f_back
        if frame is None:
            return True
        threading.Event().wait(0.01)
    return False


def stall_from_the_first_page(relay, releaser: threading.Thread, pages: list[str], on_page=None):
    """A Django execute wrapper: each profile page read is recorded; the first holds ClickHouse
    (the relay) and starts ``releaser``; ``on_page(n)`` runs before page ``n`` is read."""

    def wrapper(execute, sql, params, many, context):
        if "ORDER BY" in sql and "auth_userprofile" in sql:
            pages.append(sql)
            if len(pages) == 1:
                relay.hold()
                releaser.start()
            if on_page is not None:
                on_page(len(pages))
        return execute(sql, params, many, context)

    return wrapper


def failed_profile_dump(relay, releaser: threading.Thread, pages: list[str], on_page) -> str:
    """Dump user_profile in pages of 5 through ``stall_from_the_first_page``; the command must
    fail: its message. The relay is released and closed whatever happens."""
    try:
        with (
            connection.execute_wrapper(stall_from_the_first_page(relay, releaser, pages, on_page)),
            pytest.raises(CommandError) as error,
        ):
            call_command(
                "dump_data_to_clickhouse", "--object", "user_profile", "--batch_size", "5",
                stdout=io.StringIO(), stderr=io.StringIO(),
            )  # fmt: skip
    finally:
        relay.release()
        relay.close()
    return str(error.value)


@pytest.mark.django_db(transaction=True)
def test_reader_failure_writes_what_was_queued_and_reports_it(backend_config, settings, ch):
    """The LMS database fails on page 4 while pages 1-3 wait for ClickHouse: all 3 land.

    ClickHouse stalls (a relay holds its requests) from the first page on, so page 1 is in
    flight and pages 2-3 are queued when page 4 fails; it flows again only once the dump is
    stopping the sender (draining, or, wrongly, aborting): the outcome does not depend on timing.
    """
    pks = seed_profiles(20)
    relay = Relay(backend_config["url"])
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {**backend_config, "url": relay.url}
    database = connection.settings_dict["NAME"]
    locker = sqlite3.connect(database, isolation_level=None)
    pages: list[str] = []
    hung: list[bool] = []

    def release_once_stopping() -> None:
        wait_until_main_thread_reaches("_stop_sender", ("put", "put_nowait", "join"))
        # Longer than one put timeout: a finish() that gave up on the full queue would join
        # a sender that never gets its stop. Such a hang is recorded, then interrupted.
        threading.Event().wait(0.3)
        relay.release()
        if not main_thread_leaves("_stop_sender", within=30.0):
            hung.append(True)
            _thread.interrupt_main()

    releaser = threading.Thread(target=release_once_stopping, daemon=True)

    def lock_on_page_four(page: int) -> None:
        if page == 4:  # another writer holds the database: "database is locked"
            locker.execute("BEGIN EXCLUSIVE")

    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 50")
    try:
        message = failed_profile_dump(relay, releaser, pages, lock_on_page_four)
    finally:
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()
        connection.close()
    assert not hung, "draining the queued pages never ended"
    assert len(pages) == 4, "the failure came on page 4"
    assert "OperationalError" in message and "locked" in message, message
    assert f"resume with --start_pk {pks[14]}" in message, message
    assert dumped_ids(ch) == pks[:15], "the 3 pages read before the failure were written"


@pytest.mark.django_db(transaction=True)
def test_pages_read_while_clickhouse_stalls_wait_for_room_and_all_land(
    backend_config, settings, ch
):
    """ClickHouse stalls from the first INSERT on: the reader fills the queue, then waits to
    queue the next page for longer than one put timeout. Once ClickHouse flows again, every
    page lands: a page that found the queue full is queued later, never dropped."""
    pks = seed_profiles(30)
    relay = Relay(backend_config["url"])
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {**backend_config, "url": relay.url}
    pages: list[str] = []

    def release_once_the_reader_waits() -> None:
        wait_until_main_thread_reaches("dump", "put")
        threading.Event().wait(0.5)  # pages 2-3 fill the queue; page 4 waits past a timeout
        relay.release()

    releaser = threading.Thread(target=release_once_the_reader_waits, daemon=True)

    try:
        with connection.execute_wrapper(stall_from_the_first_page(relay, releaser, pages)):
            out = io.StringIO()
            call_command(
                "dump_data_to_clickhouse", "--object", "user_profile", "--batch_size", "5",
                stdout=out, stderr=io.StringIO(),
            )  # fmt: skip
    finally:
        relay.release()
        relay.close()
    assert "Dumped 30 user_profile objects" in out.getvalue(), out.getvalue()
    assert dumped_ids(ch) == pks


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_while_the_queue_is_full_reports_the_resume_point(backend_config, settings, ch):
    """Ctrl-C on page 4 while ClickHouse stalls: page 1 is in flight and pages 2-3 fill the
    queue, so the abort finds no room for its stop. The batch in flight still lands, the two
    queued ones are reported as not written, and the resume point is the end of page 1."""
    pks = seed_profiles(20)
    relay = Relay(backend_config["url"])
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {**backend_config, "url": relay.url}
    pages: list[str] = []

    def release_once_aborting() -> None:
        wait_until_main_thread_reaches("abort", "join")
        relay.release()

    def interrupt_on_page_four(page: int) -> None:
        if page == 4:
            raise KeyboardInterrupt

    releaser = threading.Thread(target=release_once_aborting, daemon=True)
    message = failed_profile_dump(relay, releaser, pages, interrupt_on_page_four)
    assert "KeyboardInterrupt" in message, message
    assert "failed after 5 rows" in message and "2 read batches not written" in message, message
    assert f"resume with --start_pk {pks[4]}" in message, message
    assert dumped_ids(ch) == pks[:5]
