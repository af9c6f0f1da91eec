"""EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG for the sandbox: the embedded server, read lazily.

The password lives in the embedded server's credentials file, which may not exist yet when the
settings are imported (e.g. ``manage.py migrate`` before ``sandbox-up``): it is read on first
access, not at import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from sandbox.lms.paths import data_dir

DEFAULT_PORT = 8123
DEFAULT_USERNAME = "aspects"


def clickhouse_dir():
    """Directory of the embedded ClickHouse server (its data and credentials)."""
    return data_dir() / "clickhouse"


def _read_password() -> str:
    env = os.environ.get("ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD")
    if env is not None:
        return env
    path = clickhouse_dir() / "password"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise RuntimeError(
            f"The sandbox ClickHouse password file {path} does not exist: start the embedded "
            "server first (`make sandbox-up` or `python -m sandbox.clickhouse_server up`)."
        ) from None


class SandboxBackendConfig(Mapping):
    """A read-only dict whose ``password`` is read from the credentials file on first use."""

    def __init__(self) -> None:
        port = int(os.environ.get("ASPECTS_SANDBOX_CLICKHOUSE_PORT", DEFAULT_PORT))
        self._values: dict[str, object] = {
            "url": os.environ.get("ASPECTS_SANDBOX_CLICKHOUSE_URL", f"http://127.0.0.1:{port}"),
            "username": os.environ.get("ASPECTS_SANDBOX_CLICKHOUSE_USER", DEFAULT_USERNAME),
            "database": os.environ.get("ASPECTS_SANDBOX_CLICKHOUSE_DATABASE", "event_sink"),
            "timeout_secs": 30,
            "xapi_database": os.environ.get("ASPECTS_SANDBOX_XAPI_DATABASE", "xapi"),
            "xapi_table": "xapi_events_all",
            "runs_table": "load_test_runs",
            "stats_table": "load_test_stats",
        }

    def __getitem__(self, key: str) -> object:
        if key == "password":
            return _read_password()
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        yield "password"

    def __len__(self) -> int:
        return len(self._values) + 1

    def __repr__(self) -> str:
        shown = {**self._values, "password": "***"}
        return f"SandboxBackendConfig({shown!r})"
