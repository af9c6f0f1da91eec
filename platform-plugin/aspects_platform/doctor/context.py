"""What every check reads: the LMS's ClickHouse settings and one shared client."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from aspects_platform import backend
from aspects_platform.clickhouse.connection import display_url
from aspects_platform.clickhouse.schema import SchemaSettings


class ClickHouseUnreachable(Exception):
    """A check needs ClickHouse, and it could not be reached (see the ``clickhouse`` line)."""


class DoctorContext:
    """The backend config (``EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG``) and a client opened once.

    The first failure to connect is kept: later checks do not wait for the timeout again.
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = dict(config if config is not None else backend.backend_config())
        self._client = None
        self.connect_error: BaseException | None = None

    @property
    def url(self) -> str:
        """The ClickHouse URL, safe to print."""
        return display_url(str(self.config.get("url", "")))

    @property
    def username(self) -> str:
        return str(self.config.get("username", ""))

    @property
    def schema(self) -> SchemaSettings:
        """The deployment's names, as the init job renders the migrations for them."""
        return SchemaSettings(
            event_sink_database=self.config["database"],
            xapi_database=self.config.get("xapi_database") or "xapi",
            xapi_table=self.config.get("xapi_table") or "xapi_events_all",
            cluster=self.config.get("cluster") or "",
            pii_tables=tuple(getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_MODELS", ())),
        )

    def client(self):
        """The shared client; ClickHouseUnreachable when ClickHouse cannot be reached."""
        if self._client is not None:
            return self._client
        if self.connect_error is None:
            try:
                self._client = backend.get_client(self.config)
                return self._client
            except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
                self.connect_error = exc
        raise ClickHouseUnreachable(str(self.connect_error))

    def scrub(self, text: str) -> str:
        """``text`` without the ClickHouse password (error texts never carry it; be sure)."""
        password = str(self.config.get("password") or "")
        return text.replace(password, "***") if password else text

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
