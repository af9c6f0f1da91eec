"""Celery tasks that write to ClickHouse; retried with exponential backoff while it is down.

Only transient failures are retried (connection errors, timeouts, HTTP 5xx, overload codes):
a 4xx answer means the data or the schema is wrong, and retrying would not fix it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

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


def _with_retries(task, work: Callable[[Any, dict], Any], overrides: dict | None) -> Any:
    """Run ``work(client, config)``; on a transient failure schedule a retry with backoff."""
    config = backend.backend_config(overrides)
    try:
        return work(_client_for(config), config)
    except Exception as exc:
        if not backend.is_transient(exc):
            raise
        _forget_clients()
        attempt = task.request.retries
        max_retries = int(settings.EVENT_SINK_CLICKHOUSE_MAX_RETRIES)
        countdown = retry_countdown(attempt)
        log.warning(
            "%s: ClickHouse unavailable (%s); retry %d/%d in %.1fs",
            task.name,
            type(exc).__name__,
            attempt + 1,
            max_retries,
            countdown,
        )
        raise task.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc


@shared_task(bind=True, name="aspects_platform.tasks.dump_object_to_clickhouse")
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
def dump_course_to_clickhouse(
    self, course_key: str, connection_overrides: dict | None = None
) -> str:
    """Write a course's blocks, then its overview row, as published when the task runs."""
    cache.delete(course_dump_pending_key(course_key))  # later publishes schedule a new run
    sink = CourseOverviewSink()
    if not sink.is_enabled():
        return "disabled"
    pk = sink.parse_pk(course_key)
    if not sink.refresh_overview(pk):
        log.warning("Course %s is not in the modulestore: nothing written", course_key)
        return "not found"
    written = _with_retries(
        self,
        lambda client, config: sink.dump_pks(client, config["database"], [pk]),
        connection_overrides,
    )
    return f"dumped {written}"


@shared_task(bind=True, name="aspects_platform.tasks.retire_user_from_clickhouse")
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
