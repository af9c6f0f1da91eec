"""Debian's ``redis-server`` as a child process, for the sandbox's Celery xAPI mode.

In that mode (``ASPECTS_SANDBOX_XAPI_MODE=celery``) Redis is the Celery broker and holds ERB's
batch, as in production; without ``redis-server`` the sandbox uses the sync mode (fakeredis).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from sandbox.clickhouse_server.process import HOST, ChildServer


def available() -> bool:
    """True when ``redis-server`` is installed (``apt-get install -y redis-server``)."""
    return shutil.which("redis-server") is not None


def ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(ChildServer):
    """An in-memory Redis (no persistence) on a free port, stopped by pid."""

    def __init__(self, home: str | Path, port: int | None = None):
        self._init_home(home, port)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self, timeout: float = 30.0) -> RedisServer:
        if self.running_pid() is not None and ping(self.port):
            return self
        command = [
            shutil.which("redis-server") or "redis-server",
            "--bind", HOST, "--port", str(self.port),
            "--save", "", "--appendonly", "no", "--dir", str(self.home),
        ]  # fmt: skip
        self._spawn(command, {"PATH": "/usr/bin:/bin"})
        self._wait_ready(lambda: ping(self.port), timeout, "redis-server")
        return self
