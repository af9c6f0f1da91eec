"""Is the LRS (Ralph) answering? The monitor samples it beside the backlog.

The routes are ERB's enabled xAPI ``RouterConfiguration`` rows; Ralph answers
``/__heartbeat__`` at the root of its host with ``{"database": "ok"}`` while its ClickHouse
answers. Only ``up`` (any HTTP answer) and the database state are kept: never a URL or a login.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urljoin

HEARTBEAT = "/__heartbeat__"


def route_urls() -> list[str]:
    """The enabled xAPI routes (empty when ERB is not installed or none is configured)."""
    try:
        from event_routing_backends.models import RouterConfiguration
    except ImportError:
        return []
    routes = RouterConfiguration.objects.current_set().filter(
        backend_name=RouterConfiguration.XAPI_BACKEND, enabled=True
    )
    return sorted({route.route_url for route in routes})


def _heartbeat(url: str, timeout: float) -> tuple[bool, str | None]:
    """(answered, its ``database`` field) for the LRS at ``url``."""
    try:
        with urllib.request.urlopen(urljoin(url, HEARTBEAT), timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:  # it answered, unhealthy
        body = error.read()
    except OSError:
        return False, None
    try:
        return True, str(json.loads(body).get("database"))
    except (ValueError, AttributeError):
        return True, None


def lrs_status(urls: list[str], timeout: float = 2.0) -> dict:
    """``{"up": bool | None, "database": ...}``: up when every route answered; None (with a
    note) when there is no route to ask."""
    if not urls:
        return {"up": None, "note": "no enabled xAPI route (RouterConfiguration)"}
    answers = [_heartbeat(url, timeout) for url in urls]
    databases = {database for _, database in answers if database is not None}
    return {
        "up": all(answered for answered, _ in answers),
        "database": "ok" if databases == {"ok"} else (", ".join(sorted(databases)) or None),
    }
