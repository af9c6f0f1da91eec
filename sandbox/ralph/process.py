"""``RalphServer``: Ralph's LRS as a child process, writing to ClickHouse as its own user.

It runs the Ralph container's own start script (``tutoraspects/templates/aspects/apps/ralph/
start.sh``, which has no template syntax): the auth file is built by Ralph's ``auth`` command
inside one Python process from passwords in the environment, then uvicorn serves Ralph.
The home folder (``<sandbox>/ralph``) holds ``port``, ``lms-password`` and ``admin-password``
(0600), ``auth.json`` (bcrypt hashes), ``server.pid`` and ``server.log``.
"""

from __future__ import annotations

import atexit
import json
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sandbox.clickhouse_server.process import (
    HOST,
    REPO_ROOT,
    ChildServer,
    read_or_create_secret,
)

from .venv import ensure_venv

LMS_USERNAME = "lms"
ADMIN_USERNAME = "ralph-admin"
START_SCRIPT = REPO_ROOT / "tutoraspects" / "templates" / "aspects" / "apps" / "ralph" / "start.sh"


@dataclass(frozen=True)
class ClickHouseLogin:
    """Where Ralph writes statements, and as whom."""

    url: str
    username: str
    password: str = field(repr=False)
    database: str = "xapi"
    table: str = "xapi_events_all"


def heartbeat(url: str, timeout: float = 1.0) -> bool:
    """True when Ralph answers ``/__heartbeat__`` with its database ok."""
    try:
        with urllib.request.urlopen(f"{url}/__heartbeat__", timeout=timeout) as response:
            return response.status == 200 and json.load(response).get("database") == "ok"
    except (OSError, ValueError):
        return False


class RalphServer(ChildServer):
    """Start/stop Ralph (uvicorn ``ralph.api:app``); the same port across restarts."""

    def __init__(self, home: str | Path, clickhouse: ClickHouseLogin, port: int | None = None):
        self._init_home(home, port)
        self.clickhouse = clickhouse
        self.lms_username = LMS_USERNAME
        self.lms_password = read_or_create_secret(self.home / "lms-password")
        self._admin_password = read_or_create_secret(self.home / "admin-password")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def route_url(self) -> str:
        """ERB's ``RouterConfiguration.route_url``; tincan appends ``statements``."""
        return f"{self.url}/xAPI/"

    def is_up(self) -> bool:
        return self.running_pid() is not None and heartbeat(self.url)

    def owns_command(self, command: list[str]) -> bool:
        """The start script (``sh start.sh``), then what it execs: uvicorn serving Ralph on
        this home's port."""
        if command[-1:] == [str(START_SCRIPT)]:
            return True
        port = any(command[k : k + 2] == ["--port", str(self.port)] for k in range(len(command)))
        return "ralph.api:app" in command and port

    def environment(self) -> dict[str, str]:
        """Ralph's server settings (``RALPH_*``), passwords included: for its environment only."""
        target = urlsplit(self.clickhouse.url)
        prefix = "RALPH_BACKENDS__LRS__CLICKHOUSE__"
        return {
            "RALPH_APP_DIR": str(self.home / "app"),
            "RALPH_AUTH_FILE": str(self.home / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "clickhouse",
            f"{prefix}HOST": target.hostname or HOST,
            f"{prefix}PORT": str(target.port or 8123),
            f"{prefix}DATABASE": self.clickhouse.database,
            f"{prefix}EVENT_TABLE_NAME": self.clickhouse.table,
            f"{prefix}USERNAME": self.clickhouse.username,
            f"{prefix}PASSWORD": self.clickhouse.password,
            "RALPH_LMS_USER": self.lms_username,
            "RALPH_LMS_PASSWORD": self.lms_password,
            "RALPH_ADMIN_USER": ADMIN_USERNAME,
            "RALPH_ADMIN_PASSWORD": self._admin_password,
            "RALPH_HOST": HOST,
            "RALPH_PORT": str(self.port),
        }

    def start(self, timeout: float = 90.0, detached: bool = False) -> RalphServer:
        """Build the auth file, start Ralph (no-op if up) and wait for its heartbeat."""
        if self.is_up():
            return self
        bin_dir = ensure_venv()
        env = {**os.environ, **self.environment()}
        env.pop("PYTHONPATH", None)  # Ralph's own packages only
        env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
        self._spawn(["sh", str(START_SCRIPT)], env)
        if not detached:
            atexit.register(self.stop)
        self._wait_ready(lambda: heartbeat(self.url, timeout=0.5), timeout, "Ralph")
        return self
