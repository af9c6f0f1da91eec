"""Celery tasks: LMS database errors are retried like ClickHouse outages; giving up is logged.

A real in-process Celery worker consumes the memory broker. The LMS database error is a real
one: another connection holds SQLite's exclusive lock (as a long write or a migration would),
so the worker's read fails with ``OperationalError: database is locked``.
"""

import logging
import sqlite3

import pytest
from aspects_platform import tasks
from celery.signals import task_postrun, task_retry
from django.db import connection
from django.db.backends.signals import connection_created

from tests.platform.conftest import select, wait_for
from tests.platform.test_platform_dump_command import seed_profiles

pytestmark = pytest.mark.django_db(transaction=True)
TASK = "aspects_platform.tasks.dump_object_to_clickhouse"


@pytest.fixture
def task_states():
    """State of every retry and finished run of the dump task, in order."""
    states: list[str] = []

    def on_retry(sender=None, **kwargs):
        states.append("RETRY")

    def on_postrun(sender=None, state=None, **kwargs):
        if state != "RETRY":
            states.append(state)

    task_retry.connect(on_retry, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    yield states
    task_retry.disconnect(on_retry)
    task_postrun.disconnect(on_postrun)


@pytest.fixture
def short_lock_wait():
    """New LMS connections (the worker's) wait 50 ms for a lock instead of 30 s."""

    def set_busy_timeout(sender, connection, **kwargs):
        if connection.vendor == "sqlite":
            connection.connection.execute("PRAGMA busy_timeout = 50")

    connection_created.connect(set_busy_timeout, weak=False)
    yield
    connection_created.disconnect(set_busy_timeout)


def test_lms_database_errors_are_retried_until_the_row_is_written(
    short_lock_wait, worker, ch, task_states
):
    [pk] = seed_profiles(1)
    locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        tasks.dump_object_to_clickhouse.delay("user_profile", pk)
        assert wait_for(lambda: task_states.count("RETRY") >= 2, timeout=15), task_states
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert wait_for(lambda: "SUCCESS" in task_states), task_states
    assert select(ch, "SELECT id FROM user_profile") == [(pk,)]
    assert "FAILURE" not in task_states


def test_giving_up_is_logged_as_such(settings, backend_config, worker, task_states, caplog):
    [pk] = seed_profiles(1)
    settings.EVENT_SINK_CLICKHOUSE_MAX_RETRIES = 2
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **backend_config,
        "url": "http://127.0.0.1:9",  # nothing listens: connection refused, a transient error
        "timeout_secs": 1,
    }
    caplog.set_level(logging.WARNING, logger="aspects_platform.tasks")
    tasks.dump_object_to_clickhouse.delay("user_profile", pk)
    assert wait_for(lambda: "FAILURE" in task_states, timeout=20), task_states
    assert task_states == ["RETRY", "RETRY", "FAILURE"]
    messages = [r.getMessage() for r in caplog.records if r.name == "aspects_platform.tasks"]
    assert [m.split(";")[1].strip()[:9] for m in messages[:2]] == ["retry 1/2", "retry 2/2"]
    assert len(messages) == 3, messages
    assert "giving up after 2 retries" in messages[2], messages
    assert "retry 3/2" not in " ".join(messages)
    assert [r.levelname for r in caplog.records if r.name == "aspects_platform.tasks"][2] == "ERROR"
