"""``PipelinedSyncEventsRouter``: ERB's sync router that posts batch k while batch k+1 forms.

ERB's ``SyncEventsRouter`` transforms a full batch, then posts it to the LRS and waits for the
answer before the emitting thread goes on. This router transforms in the caller's thread as
ERB does, then hands the statements to one background sender thread through a bounded queue
(at most ``MAX_WAITING`` batches wait: a slow LRS slows the caller down, memory stays bounded).
The sender posts with ERB's own ``dispatch_bulk_events``; a batch it cannot send goes to ERB's
dead queue exactly as ERB's own ``send`` does (re-sent by ``recover_failed_events``). Nothing
is lost: ``flush()`` waits for every handed batch (the load test calls it; ``atexit`` too).

Use it as the ``xapi`` backend's ENGINE where ERB's sync router would be:
``aspects_platform.xapi_router.PipelinedSyncEventsRouter``.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
from dataclasses import dataclass, field

from event_routing_backends.backends.sync_events_router import SyncEventsRouter
from eventtracking.backends.logger import DateTimeJSONEncoder

log = logging.getLogger(__name__)
#: Batches handed to the sender and not yet posted, at most.
MAX_WAITING = 2


@dataclass
class _Batch:
    """What the caller handed over: the raw events (for the dead queue) and, per route, the
    transformed statements with where to send them."""

    raw: list[dict]
    routes: list[tuple[list[dict], str, dict]] = field(default_factory=list)


class PipelinedSyncEventsRouter(SyncEventsRouter):
    """SyncEventsRouter whose LRS posts run in one background thread, in order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queue: queue.Queue[_Batch] = queue.Queue(MAX_WAITING)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.failed_events = 0  # events the sender put in the dead queue (since creation)

    def bulk_send(self, events, router_urls=None):
        """Transform now (as ERB), post in the background; returns once the batch is queued."""
        batch = _Batch(raw=list(events))
        for events_for_route in self.prepare_to_send(events, router_urls).values():
            statements, ids = [], set()
            for _, statement, _, _ in events_for_route:
                if statement["id"] not in ids:  # ERB drops duplicated ids within a batch
                    statements.append(statement)
                    ids.add(statement["id"])
            host = events_for_route[-1][2] if events_for_route else None
            if statements:
                batch.routes.append((statements, host["router_type"], host["host_configurations"]))
        if batch.routes:
            self._start()
            self._queue.put(batch)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._send_forever, name="xapi-sender", daemon=True
                )
                self._thread.start()
                atexit.register(self.flush)

    def _send_forever(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                for statements, router_type, host_configurations in batch.routes:
                    self.dispatch_bulk_events(statements, router_type, host_configurations)
            except Exception:  # noqa: BLE001 - as ERB's send: keep the batch for a retry
                log.exception(
                    "Sending %d batched events failed: kept in %s", len(batch.raw), self.dead_queue
                )
                self._keep_for_retry(batch.raw)
            finally:
                self._queue.task_done()

    def _keep_for_retry(self, raw: list[dict]) -> None:
        from django_redis import get_redis_connection

        encoded = [json.dumps(event, cls=DateTimeJSONEncoder) for event in raw]
        get_redis_connection().lpush(self.dead_queue, *encoded)
        self.failed_events += len(raw)

    def flush(self) -> None:
        """Wait until every batch handed over was posted (or kept in the dead queue)."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.join()
