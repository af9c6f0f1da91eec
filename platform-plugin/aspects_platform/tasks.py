"""Celery tasks that write to ClickHouse; retried with exponential backoff while it is down.

Only transient failures are retried: ClickHouse connection errors, timeouts, HTTP 5xx and
overload codes, and LMS database ``OperationalError``/``InterfaceError`` (connection lost,
locked). A 4xx answer means the data or the schema is wrong, and retrying would not fix it.
When the retries are spent the task fails and the log says it gave up.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from celery import shared_task
from celery.exceptions import Retry
from django import db
from django.conf import settings
from django.core.cache import cache

from aspects_platform import backend, established, retirement
from aspects_platform.models import ClickHouseRetirement
from aspects_platform.sinks import (
    CourseOverviewSink,
    TombstoneSink,
    UserRetirementSink,
    sink_for,
)

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


@shared_task(bind=True, name="aspects_platform.tasks.delete_object_from_clickhouse")
@retried
def delete_object_from_clickhouse(
    self, object_name: str, object_pk: Any, connection_overrides: dict | None = None
) -> str:
    """Mark one deleted object (taxonomy, tag, object_tag) deleted in its table."""
    sink = sink_for(object_name)
    if not isinstance(sink, TombstoneSink):
        raise ValueError(f"{object_name} rows are not deleted from ClickHouse by this task")
    if not sink.is_enabled():
        return "disabled"
    pk = sink.parse_pk(object_pk)
    _with_retries(
        self,
        lambda client, config: sink.write_deleted(client, config["database"], [pk]),
        connection_overrides,
    )
    return "deleted"


def _dump_unretired(sink, client, config: dict[str, Any], pk: Any) -> int:
    """Write one object without a retired user's PII; undo a write that raced a retirement.

    The read leaves out (PII sinks) or blanks (usernames) users with a retirement request. A
    request created between that check and the INSERT is seen by the check after it, and the
    retirement mutations run again for that user: the retirement can never be followed by a
    row of the user. A failed retirement is re-driven from its LMS record, not from here.
    """
    database = config["database"]
    retired_before = set(sink.retired_user_ids([pk]))
    written = sink.dump_pks(client, database, [pk])
    # Read before the retirement began, written after its mutations: run them again.
    late = [user for user in sink.retired_user_ids([pk]) if user not in retired_before]
    if late:
        retirement.retire_again(client, database, late, backend.cluster_name(config))
        written = 0
    return written


#: Seconds the pending marker outlives the countdown (a lost task blocks no longer than this).
PENDING_MARGIN_SECS = 300


def course_dump_pending_key(course_key: str) -> str:
    """Cache key marking a pending course dump (hashed: memcached keys are short, no spaces)."""
    digest = hashlib.sha256(str(course_key).encode()).hexdigest()
    return f"aspects_platform.course_dump_pending.{digest}"


def enqueue_course_dump(course_key: str) -> bool:
    """Schedule one dump of the course unless one is already pending; True when scheduled.

    A publish storm (every section/subsection edit sends COURSE_PUBLISHED) costs one write:
    the first publish schedules the task ``EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS``
    later and sets a marker in the cache; publishes while it is set add nothing, since the
    task reads the course when it runs. The task clears the marker before reading.
    """
    delay = float(settings.EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS)
    key = course_dump_pending_key(course_key)
    if not cache.add(key, str(course_key), timeout=delay + PENDING_MARGIN_SECS):
        return False
    try:
        dump_course_to_clickhouse.apply_async(args=(str(course_key),), countdown=delay)
    except Exception:
        cache.delete(key)
        raise
    return True


@shared_task(bind=True, name="aspects_platform.tasks.dump_course_to_clickhouse")
@retried
def dump_course_to_clickhouse(
    self, course_key: str, connection_overrides: dict | None = None
) -> str:
    """Write a course's blocks, then its overview row, as published when the task runs.

    With ``FEATURES["CUSTOM_COURSES_EDX"]`` on, the course's CCX courses are written too (each
    the master course's content under its CCX key), as the established sink does.
    """
    cache.delete(course_dump_pending_key(course_key))  # later publishes schedule a new run
    sink = CourseOverviewSink()
    if not sink.is_enabled():
        return "disabled"
    pk = sink.parse_pk(course_key)
    if not sink.refresh_overview(pk):
        log.warning("Course %s is not in the modulestore: nothing written", course_key)
        return "not found"
    keys = [pk] + [key for key in sink.ccx_keys(pk) if sink.refresh_overview(key)]
    written = _with_retries(
        self,
        lambda client, config: sink.dump_pks(client, config["database"], keys),
        connection_overrides,
    )
    return f"dumped {written}"


@shared_task(bind=True, name="aspects_platform.tasks.retire_user_from_clickhouse")
@retried
def retire_user_from_clickhouse(
    self, user_id: int, connection_overrides: dict | None = None
) -> str:
    """Delete the user's PII rows and blank its usernames; the LMS record follows each step.

    A permanent failure, or the last retry giving up, leaves the record pending with the
    error (``retire_users_from_clickhouse --list`` shows it, ``--redrive`` runs it again).
    On a cluster the mutations are only submitted; ``confirm_clickhouse_retirement`` checks
    them later, so no worker waits for a mutation to finish on every replica.
    """
    sink = UserRetirementSink()
    if not sink.is_enabled():
        return "disabled"
    retirement.mark_attempt(user_id)
    try:
        state = _with_retries(
            self,
            lambda client, config: retirement.drive(client, config, user_id),
            connection_overrides,
        )
    except Retry:
        raise
    except Exception as exc:
        retirement.mark_failed(user_id, exc)
        log.error(
            "Retirement of user %s from ClickHouse failed (%s); it stays pending: "
            "run retire_users_from_clickhouse --redrive",
            user_id,
            type(exc).__name__,
        )
        raise
    if state == ClickHouseRetirement.SUBMITTED:
        confirm_clickhouse_retirement.apply_async(
            (user_id, connection_overrides),
            countdown=float(settings.EVENT_SINK_CLICKHOUSE_RETIREMENT_CONFIRM_SECS),
        )
    return f"retirement {state}"


@shared_task(bind=True, name="aspects_platform.tasks.confirm_clickhouse_retirement")
@retried
def confirm_clickhouse_retirement(
    self, user_id: int, connection_overrides: dict | None = None
) -> str:
    """Mark a submitted cluster retirement done once no replica holds the user's rows."""
    try:
        return _with_retries(
            self,
            lambda client, config: retirement.confirm(client, config, user_id),
            connection_overrides,
        )
    except retirement.RetirementIncomplete as exc:
        # Mutations still running: look again later; the record stays "submitted" meanwhile.
        countdown = float(settings.EVENT_SINK_CLICKHOUSE_RETIREMENT_CONFIRM_SECS)
        raise self.retry(exc=exc, countdown=countdown, max_retries=12) from exc


def _forward_established(task_name: str, target, *args) -> str:
    """Queue ``target(*args)`` for a task the established app queued; say so in the log."""
    target.delay(*args)
    log.warning(
        "%s: a task of the established platform-plugin-aspects (queued before the switch), "
        "forwarded to %s",
        task_name,
        target.name,
    )
    return f"forwarded to {target.name}"


@shared_task(name=f"{established.PACKAGE}.tasks.dump_course_to_clickhouse")
def established_dump_course_to_clickhouse(
    course_key_string: str, connection_overrides: dict | None = None
) -> str:
    """Their course dump, still queued: ours (``dump_course_to_clickhouse``) runs instead."""
    name = f"{established.PACKAGE}.tasks.dump_course_to_clickhouse"
    return _forward_established(
        name, dump_course_to_clickhouse, str(course_key_string), connection_overrides
    )


@shared_task(name=f"{established.PACKAGE}.tasks.dump_data_to_clickhouse")
def established_dump_data_to_clickhouse(
    sink_module: str, sink_name: str, object_id: Any, connection_overrides: dict | None = None
) -> str:
    """Their one-object dump, still queued: forwarded by sink class name to ours
    (UserRetirementSink: the retirement task); an unknown sink fails naming the choices."""
    name = f"{established.PACKAGE}.tasks.dump_data_to_clickhouse"
    if sink_name == "UserRetirementSink":
        return _forward_established(
            name, retire_user_from_clickhouse, int(object_id), connection_overrides
        )
    if sink_name == "CourseOverviewSink":
        return _forward_established(
            name, dump_course_to_clickhouse, str(object_id), connection_overrides
        )
    object_name = established.SINK_OBJECTS.get(sink_name)
    if object_name is None:
        known = ", ".join(["CourseOverviewSink", *established.SINK_OBJECTS, "UserRetirementSink"])
        raise ValueError(
            f"{name}: no Aspects replacement for the sink {sink_module}.{sink_name} (known: "
            f"{known}); dump its objects with `dump_data_to_clickhouse --object <name>`"
        )
    return _forward_established(
        name, dump_object_to_clickhouse, object_name, object_id, connection_overrides
    )
