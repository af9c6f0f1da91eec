"""With ClickHouse down, saves and enrollments are retried and all arrive once it is back.

A real in-process Celery worker consumes the memory broker; backoff is shortened by settings.
"""

import time

import pytest
from aspects_platform import backend, tasks
from celery.signals import task_retry
from clickhouse_connect.driver.exceptions import DatabaseError
from common.djangoapps.student.models import CourseEnrollment
from opaque_keys.edx.keys import CourseKey

from tests.platform.conftest import select, wait_for
from tests.platform.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def retries():
    seen: list[str] = []

    def record(sender=None, **kwargs):
        seen.append(sender.name)

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


def test_writes_made_while_clickhouse_is_down_arrive_when_it_is_back(
    embedded_clickhouse, ch, worker, retries
):
    embedded_clickhouse.stop()
    try:
        users = [make_user(f"offline{i}", name=f"Offline {i}")[0] for i in range(3)]
        for user in users:
            CourseEnrollment.enroll(user, CourseKey.from_string("course-v1:OrgX+Down+2026"))
        assert wait_for(lambda: len(retries) >= 6, timeout=20), retries
    finally:
        embedded_clickhouse.start()

    def counts():
        return (
            select(ch, "SELECT count() FROM user_profile")[0][0],
            select(ch, "SELECT count() FROM course_enrollment")[0][0],
        )

    assert wait_for(lambda: counts() == (3, 3)), counts()
    time.sleep(1.0)  # nothing more may arrive: each write lands exactly once
    assert counts() == (3, 3)
    assert set(retries) == {"aspects_platform.tasks.dump_object_to_clickhouse"}


def test_backoff_grows_exponentially_up_to_the_cap(settings):
    settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS = 2
    settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS = 60
    assert [tasks.retry_countdown(n) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]


def test_unreachable_server_is_transient_but_bad_data_is_not(backend_config, ch):
    with pytest.raises(Exception) as unreachable:
        backend.get_client({**backend_config, "url": "http://127.0.0.1:9", "timeout_secs": 1})
    assert backend.is_transient(unreachable.value)

    with pytest.raises(DatabaseError) as bad_row:
        ch.raw_insert("user_profile", ["id", "user_id"], b'"x",1\n', fmt="CSV")
    assert not backend.is_transient(bad_row.value)

    with pytest.raises(DatabaseError) as unknown_table:
        ch.command("INSERT INTO no_such_table VALUES (1)")
    assert not backend.is_transient(unknown_table.value)


def test_data_errors_are_not_retried(ch, settings, retries):
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG,
        "database": "no_such_database",
    }
    _, profile = make_user("nowhere")  # the signal's task fails; the save itself succeeds
    with pytest.raises(DatabaseError):
        tasks.dump_object_to_clickhouse.apply(args=("user_profile", profile.pk), throw=True)
    assert retries == []
