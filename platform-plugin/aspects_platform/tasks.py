"""Celery tasks that write to ClickHouse; retried with exponential backoff while it is down.

Only transient failures are retried: ClickHouse connection errors, timeouts, HTTP 5xx and
overload codes, and LMS database ``OperationalError``/``InterfaceError`` (connection lost,
locked). A 4xx answer means the data or the schema is wrong, and retrying would not fix it.
When the retries are spent the task fails and the log says it gave up.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from celery import shared_task
from django import db
from django.conf import settings

from aspects_platform import backend
from aspects_platform.sinks import CourseOverviewSink, UserRetirementSink, sink_for

log = logging.getLogger(__name__)

_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def retry_countdown(attempt: int) -> float:
    """Seconds before retry number ``attempt + 1``: base * 2**attempt, capped."""
    base = float(settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS)
    cap = float(settings.EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS)
    return min(cap, base * (2**attempt))


def _client_for(config: dict[str, Any]):
    """One client per process and connection config, reused across tasks."""
    key = tuple(str(config.get(k)) for k in backend.CONNECTION_KEYS)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = backend.get_client(config)
        return client


def _forget_clients() -> None:
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def _unavailable(exc: BaseException) -> str | None:
    """What is down when ``exc`` is transient ("ClickHouse", "the LMS database"), else None.

    LMS database errors that mean "connection lost / locked / gone away" are Django's
    ``OperationalError`` and ``InterfaceError``; data errors (IntegrityError...) are not retried.
    """
    if backend.is_transient(exc):
        return "ClickHouse"
    if isinstance(exc, (db.OperationalError, db.InterfaceError)):
        return "the LMS database"
    return None


def _close_broken_lms_connections() -> None:
    """Drop LMS connections that failed, so the retry reconnects (never inside a transaction)."""
    for connection in db.connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@contextmanager
def _retry_transient(task) -> Iterator[None]:
    """On a transient failure schedule a retry with backoff; once retries are spent, say so.

    Nested uses handle a failure once: the innermost one retries or gives up.
    """
    try:
        yield
    except Exception as exc:
        down = _unavailable(exc)
        if down is None or getattr(exc, "_aspects_retry_handled", False):
            raise
        with suppress(AttributeError):
            exc._aspects_retry_handled = True
        if down == "ClickHouse":
            _forget_clients()
        else:
            _close_broken_lms_connections()
        attempt = task.request.retries
        max_retries = int(settings.EVENT_SINK_CLICKHOUSE_MAX_RETRIES)
        if attempt >= max_retries:
            log.error(
                "%s[%s]: giving up after %d retries: %s unavailable (%s); the task failed "
                "and will not run again",
                task.name,
                task.request.id,
                max_retries,
                down,
                type(exc).__name__,
            )
            raise
        countdown = retry_countdown(attempt)
        log.warning(
            "%s: %s unavailable (%s); retry %d/%d in %.1fs",
            task.name,
            down,
            type(exc).__name__,
            attempt + 1,
            max_retries,
            countdown,
        )
        raise task.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc


def retried(run: Callable) -> Callable:
    """Task body decorator: transient failures anywhere in the task (LMS reads included) retry."""

    @functools.wraps(run)
    def task_body(task, *args: Any, **kwargs: Any) -> Any:
        with _retry_transient(task):
            return run(task, *args, **kwargs)

    return task_body


def _with_retries(task, work: Callable[[Any, dict], Any], overrides: dict | None) -> Any:
    """Run ``work(client, config)``; on a transient failure schedule a retry with backoff."""
    config = backend.backend_config(overrides)
    with _retry_transient(task):
        return work(_client_for(config), config)


@shared_task(bind=True, name="aspects_platform.tasks.dump_object_to_clickhouse")
@retried
def dump_object_to_clickhouse(
    self, object_name: str, object_pk: Any, connection_overrides: dict | None = None
) -> str:
    """Write one object (user_profile, external_id, course_enrollment...) by primary key."""
    sink = sink_for(object_name)
    if not sink.is_enabled():
        return "disabled"
    pk = sink.parse_pk(object_pk)
    written = _with_retries(
        self, lambda client, config: _dump_unretired(sink, client, config, pk), connection_overrides
    )
    return f"dumped {written}"


def _dump_unretired(sink, client, config: dict[str, Any], pk: Any) -> int:
    """Write one object unless its user is retired; undo a write that raced a retirement.

    The read skips users with a retirement status. A status created while the INSERT was in
    flight is seen by the check after it, and that user's PII rows are deleted again: the
    retirement DELETE can never be followed by a row of the user. The check runs even when
    nothing was written, so a retry after a failed delete still deletes.
    """
    database = config["database"]
    written = sink.dump_pks(client, database, [pk])
    retirement = UserRetirementSink()
    for user_id in sink.retired_user_ids([pk]):
        log.info(
            "User %s is retired: deleting its PII rows again after %s %s", user_id, sink.table, pk
        )
        retirement.retire(client, database, user_id, backend.cluster_name(config))
        written = 0
    return written


@shared_task(bind=True, name="aspects_platform.tasks.dump_course_to_clickhouse")
@retried
def dump_course_to_clickhouse(
    self, course_key: str, connection_overrides: dict | None = None
) -> str:
    """Write a course's blocks, then its overview row (after a publish)."""
    sink = CourseOverviewSink()
    if not sink.is_enabled():
        return "disabled"
    pk = sink.parse_pk(course_key)
    sink.ensure_overview(pk)
    written = _with_retries(
        self,
        lambda client, config: sink.dump_pks(client, config["database"], [pk]),
        connection_overrides,
    )
    return f"dumped {written}"


@shared_task(bind=True, name="aspects_platform.tasks.retire_user_from_clickhouse")
@retried
def retire_user_from_clickhouse(
    self, user_id: int, connection_overrides: dict | None = None
) -> str:
    """Delete the user's rows from every PII table."""
    sink = UserRetirementSink()
    if not sink.is_enabled():
        return "disabled"
    tables = _with_retries(
        self,
        lambda client, config: sink.retire(
            client, config["database"], user_id, backend.cluster_name(config)
        ),
        connection_overrides,
    )
    return "retired from " + ", ".join(tables)
