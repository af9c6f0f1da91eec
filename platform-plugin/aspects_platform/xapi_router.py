"""``PipelinedSyncEventsRouter``: ERB's sync router that posts batch k while batch k+1 forms.

ERB's ``SyncEventsRouter`` transforms a full batch, then posts it to the LRS and waits for the
answer before the emitting thread goes on. This router transforms in the caller's thread as
ERB does, then hands the statements to one background sender thread through a bounded queue
(at most ``MAX_WAITING`` batches wait: a slow LRS slows the caller down, memory stays bounded).
The sender posts with ERB's own ``dispatch_bulk_events``; a batch it cannot send goes to ERB's
dead queue exactly as ERB's own ``send`` does (re-sent by ``recover_failed_events``). Nothing
is lost: ``flush()`` waits for every handed batch (the load test calls it; ``atexit`` too).

The statements ERB's transformer returns are already xAPI JSON (tincan's own ``to_json``);
ERB's ``LrsClient`` would rebuild a tincan object of each and serialize it again before the
POST (as costly as the transform itself, measured), so an LRS route is posted here as that
JSON, with the same request: ``<route_url>statements``, ``X-Experience-API-Version``, Basic or
Bearer auth; 200/204 is success, 409 (ids already stored) a warning, anything else a failure
(dead queue). Other router types go through ERB's ``dispatch_bulk_events``.

Use it as the ``xapi`` backend's ENGINE where ERB's sync router would be:
``aspects_platform.xapi_router.PipelinedSyncEventsRouter``.
"""

from __future__ import annotations

import atexit
import base64
import http.client
import json
import logging
import queue
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from event_routing_backends.backends.sync_events_router import SyncEventsRouter
from eventtracking.backends.logger import DateTimeJSONEncoder

log = logging.getLogger(__name__)
#: Batches handed to the sender and not yet posted, at most.
MAX_WAITING = 2
#: ERB's router type of an xAPI LRS route.
XAPI_LRS = "XAPI_LRS"


def _authorization(host: dict) -> str | None:
    """The Authorization header ERB's LrsClient (through tincan) sends for this route."""
    from event_routing_backends.models import RouterConfiguration

    if host.get("auth_scheme") == RouterConfiguration.AUTH_BASIC:
        login = f"{host.get('username') or ''}:{host.get('password') or ''}".encode()
        return "Basic " + base64.b64encode(login).decode("ascii")
    if host.get("auth_scheme") == RouterConfiguration.AUTH_BEARER and host.get("auth_key"):
        return f"{host['auth_scheme']} {host['auth_key']}"
    return None


def post_statements(statements: list[dict], host: dict, timeout: float = 60.0) -> None:
    """POST ``statements`` (xAPI JSON) to the LRS route ``host``; raise EventNotDispatched
    unless it stored them (200/204) or already had them (409)."""
    from event_routing_backends.processors.transformer_utils.exceptions import (
        EventNotDispatched,
    )
    from tincan.version import Version

    endpoint = host["url"] if host["url"].endswith("/") else host["url"] + "/"
    target = urlsplit(endpoint + "statements")
    headers = {
        "X-Experience-API-Version": host.get("version") or Version.latest,
        "Content-Type": "application/json",
    }
    if (authorization := _authorization(host)) is not None:
        headers["Authorization"] = authorization
    kind = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = kind(target.hostname, target.port, timeout=timeout)
    try:
        path = target.path + (f"?{target.query}" if target.query else "")
        connection.request("POST", path, body=json.dumps(statements), headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status == 409:
        log.warning("The LRS already had statements of this batch (409): %s", body[:500])
    elif response.status not in (200, 204):
        log.warning(
            "The LRS refused %d statements: %s %s", len(statements), response.status, body[:500]
        )
        raise EventNotDispatched


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
                    if router_type == XAPI_LRS:
                        post_statements(statements, host_configurations)
                    else:
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
