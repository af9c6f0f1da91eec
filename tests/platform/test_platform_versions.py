"""Versions cannot go backwards: of two overlapping writers, the row read LATER wins.

Latest-state tables are ``ReplacingMergeTree(time_last_dumped)``: the row with the highest
``time_last_dumped`` survives (``FINAL``). A bulk dump and a live sink task (or two dumps, or
two tasks) run in separate threads here, each on its own LMS connection; Django's
``execute_wrapper`` parks one of them just after a SELECT (SQLite in WAL mode, so that open
read does not block writers, as with MySQL's InnoDB) while the other runs: the interleaving
is deterministic.

The change that nobody re-sends is an email change: edx-platform saves ``User``, not the
profile (common/djangoapps/student/models/user.py, accounts API), so no ``user_profile`` task
follows it; only a dump brings it to ClickHouse.
"""

import io
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aspects_platform import tasks
from aspects_platform.sinks import DumpRun, UserProfileSink
from common.djangoapps.student.models import UserProfile
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from tests.platform.conftest import select

pytestmark = pytest.mark.django_db(transaction=True)
PROFILE_PAGE = ("auth_userprofile", "ORDER BY")


class Parked:
    """Runs ``work`` in a thread that stops just after its first profile SELECT until exit."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.work = work
        self.reached, self.go = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _gate(self, execute, sql, params, many, context):
        first = all(part in sql for part in PROFILE_PAGE) and not self.reached.is_set()
        result = execute(sql, params, many, context)
        if first:
            self._park()
        return result

    def _park(self) -> None:
        self.reached.set()
        assert self.go.wait(30), "never released"

    def _run(self) -> None:
        try:
            with connection.execute_wrapper(self._gate):
                self.work()
        except BaseException as exc:  # noqa: BLE001 - re-raised by release()
            self.error = exc
        finally:
            connection.close()

    def __enter__(self) -> "Parked":
        self.thread.start()
        assert self.reached.wait(30), f"never reached its read: {self.error!r}"
        return self

    def __exit__(self, *exc_info) -> None:
        self.go.set()
        self.thread.join(30)
        if self.error is not None and exc_info[0] is None:
            raise self.error


def dump_profiles(*args: str) -> None:
    call_command(
        "dump_data_to_clickhouse", "--object", "user_profile", *args,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip


def learner() -> tuple[User, UserProfile]:
    """Ada, created without signals (bulk), so nothing is in ClickHouse yet.

    Bob comes first: with ``--batch_size 1`` a dump reads Bob's page, then Ada's.
    """
    bob, user = User.objects.bulk_create(
        [
            User(username="bob", email="bob@example.com"),
            User(username="ada", email="ada@old.example"),
        ]
    )
    _, profile = UserProfile.objects.bulk_create(
        [UserProfile(user=bob, name="Bob"), UserProfile(user=user, name="Ada")]
    )
    return user, profile


def long_dump() -> Parked:
    """A dump parked after reading its first page (Bob), before Ada's page."""
    return Parked(lambda: dump_profiles("--batch_size", "1"))


def latest(ch, user_id: int) -> tuple:
    return select(
        ch,
        "SELECT name, email FROM user_profile FINAL WHERE user_id = {u:Int64}",
        u=user_id,
    )[0]


@pytest.fixture(autouse=True)
def readers_never_block_writers():
    """SQLite in WAL mode: a parked reader does not block writers (as MySQL's InnoDB)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode = WAL")
    yield
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode = DELETE")


def test_a_dump_read_after_a_live_write_wins(ch):
    user, profile = learner()
    with long_dump():
        profile.name = "Ada L."
        profile.save()  # live sink: the task writes (name, old email) now
        assert latest(ch, user.id) == ("Ada L.", "ada@old.example")
        user.email = "ada@new.example"
        user.save()  # no profile task follows an email change
    assert latest(ch, user.id) == ("Ada L.", "ada@new.example")


def test_of_two_overlapping_dumps_the_later_read_wins(ch):
    user, _ = learner()
    with long_dump():  # dump A started first
        dump_profiles("--ids", str(user.profile.pk))  # dump B starts and ends meanwhile
        assert latest(ch, user.id) == ("Ada", "ada@old.example")
        User.objects.filter(pk=user.pk).update(email="ada@new.example")
    assert latest(ch, user.id) == ("Ada", "ada@new.example")


def test_a_task_that_read_first_loses_to_a_task_that_read_later(ch):
    user, profile = learner()

    def task() -> None:
        tasks.dump_object_to_clickhouse.apply(args=("user_profile", profile.pk), throw=True)

    with Parked(task):  # task A has read (old email), not written yet
        User.objects.filter(pk=user.pk).update(email="ada@new.example")
        task()  # task B reads the new email and writes it
    assert latest(ch, user.id) == ("Ada", "ada@new.example")


def test_versions_strictly_increase_even_within_one_microsecond(ch):
    """Two reads in the same microsecond still get two versions, in read order; each is the
    time of its read (not a counter drifting away from the clock)."""
    before = datetime.now(UTC).replace(tzinfo=None)
    run = DumpRun.start()
    versions = [run.read_now().time_last_dumped for _ in range(10_000)]
    after = datetime.now(UTC).replace(tzinfo=None)
    assert versions == sorted(set(versions)), "a version repeated or went backwards"
    first, last = (datetime.fromisoformat(v) for v in (versions[0], versions[-1]))
    assert before <= first and last <= after + timedelta(milliseconds=10)

    user, _ = learner()
    sink = UserProfileSink()
    first, second = run.read_now(), run.read_now()  # most likely 1 µs apart
    rows = sink.fetch(sink.queryset().filter(user=user))
    newer = [(*rows[0][:2], "Second", *rows[0][3:])]
    sink.write(ch, ch.database, newer, second)  # the later read arrives first...
    sink.write(ch, ch.database, rows, first)  # ...the earlier one last: it must not win
    assert latest(ch, user.id)[0] == "Second"


def test_a_clock_that_stands_still_or_steps_back_still_gives_the_next_microsecond(monkeypatch):
    """Reads in one microsecond (or after the clock stepped back, e.g. an NTP correction) get
    versions 1 µs apart: still in read order, and as close to the clock as DateTime64(6) can."""
    from aspects_platform.sinks import base

    frozen = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    class StoppedClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(base, "datetime", StoppedClock)
    # Versions handed out earlier in this process (the real clock) must not hide the rule.
    monkeypatch.setattr(base, "_last_version", frozen - timedelta(days=1))
    versions = [base.version_now() for _ in range(3)]
    frozen -= timedelta(seconds=1)  # the clock steps back
    versions.append(base.version_now())
    steps = [later - earlier for earlier, later in zip(versions, versions[1:], strict=False)]
    assert steps == [timedelta(microseconds=1)] * 3
    assert versions[0] == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
