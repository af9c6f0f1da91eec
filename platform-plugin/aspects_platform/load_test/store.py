"""The load test's ClickHouse tables: run rows, samples, and the xAPI rows a run produced.

``load_test_runs`` (run_id, timestamp, event_type, extra) gets a ``start`` and an ``end`` row
per run; ``load_test_stats`` (run_id, timestamp, stats) one row per monitor sample. Names come
from EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG (``runs_table``, ``stats_table``, ``xapi_database``,
``xapi_table``); values are bound parameters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aspects_platform import backend
from aspects_platform.clickhouse.identifiers import quote_identifier


def utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class RunRow:
    run_id: str
    timestamp: datetime
    event_type: str
    extra: dict


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    stats: dict


class LoadTestStore:
    """Reads and writes the load test tables with the LMS's ClickHouse user."""

    def __init__(self, config: dict[str, Any] | None = None):
        self.config = backend.backend_config(config)
        self.database = self.config["database"]
        self.runs_table = self.config.get("runs_table") or "load_test_runs"
        self.stats_table = self.config.get("stats_table") or "load_test_stats"
        database = backend.database_name(self.config)
        self.runs = f"{database}.{quote_identifier(self.runs_table, 'runs_table')}"
        self.stats = f"{database}.{quote_identifier(self.stats_table, 'stats_table')}"
        xapi_database = quote_identifier(self.config.get("xapi_database") or "xapi", "xapi")
        xapi_table = quote_identifier(self.config.get("xapi_table") or "xapi_events_all", "xapi")
        self.xapi = f"{xapi_database}.{xapi_table}"
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = backend.get_client(self.config)
            # clickhouse-connect imports pandas (seconds) on its first insert: pay that now,
            # not between a run's start row and its first event.
            from clickhouse_connect.driver import options

            getattr(options, "pd", None)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def record(
        self, run_id: str, event_type: str, extra: dict, when: datetime | None = None
    ) -> None:
        """Insert a ``start``/``end`` row for ``run_id`` (timestamp: the LMS's clock, taken
        once connected, so a run's timed window never includes connecting)."""
        client = self.client
        client.insert(
            self.runs_table,
            [[run_id, when or utc_now(), event_type, json.dumps(extra)]],
            column_names=["run_id", "timestamp", "event_type", "extra"],
            database=self.database,
        )

    def store_sample(self, run_id: str, stats: dict, when: datetime) -> None:
        self.store_samples(run_id, [Sample(when, stats)])

    def store_samples(self, run_id: str, samples: list[Sample]) -> None:
        """One insert of ``samples`` (all or none stored)."""
        self.client.insert(
            self.stats_table,
            [[run_id, sample.timestamp, json.dumps(sample.stats)] for sample in samples],
            column_names=["run_id", "timestamp", "stats"],
            database=self.database,
        )

    def newest_unfinished_run(self, window_secs: float) -> RunRow | None:
        """The newest run started less than ``window_secs`` ago that has no ``end`` row."""
        rows = self.client.query(
            f"SELECT run_id, timestamp, extra FROM {self.runs} "  # noqa: S608 - quoted names
            "WHERE event_type = 'start' "
            "AND timestamp >= now64(6) - toIntervalMillisecond({window:UInt64}) "
            f"AND run_id NOT IN (SELECT run_id FROM {self.runs} WHERE event_type = 'end') "
            "ORDER BY timestamp DESC LIMIT 1",
            parameters={"window": int(window_secs * 1000)},
        ).result_rows
        if not rows:
            return None
        run_id, timestamp, extra = rows[0]
        return RunRow(run_id, _aware(timestamp), "start", json.loads(extra or "{}"))

    def run_rows(self, run_id: str) -> dict[str, RunRow]:
        """The run's rows by event type (the newest of each)."""
        rows = self.client.query(
            f"SELECT event_type, timestamp, extra FROM {self.runs} "  # noqa: S608
            "WHERE run_id = {run_id:String} ORDER BY timestamp",
            parameters={"run_id": run_id},
        ).result_rows
        return {
            kind: RunRow(run_id, _aware(when), kind, json.loads(extra or "{}"))
            for kind, when, extra in rows
        }

    def samples(self, run_id: str) -> list[Sample]:
        rows = self.client.query(
            f"SELECT timestamp, stats FROM {self.stats} "  # noqa: S608
            "WHERE run_id = {run_id:String} ORDER BY timestamp",
            parameters={"run_id": run_id},
        ).result_rows
        return [Sample(_aware(when), json.loads(stats)) for when, stats in rows]

    def sample_count(self, run_id: str) -> int:
        return self.client.query(
            f"SELECT count() FROM {self.stats} WHERE run_id = {{run_id:String}}",  # noqa: S608
            parameters={"run_id": run_id},
        ).result_rows[0][0]

    def xapi_stats(self, since: datetime, now: datetime) -> dict:
        """Rows of the run (emitted since ``since``, de-duplicated), newest event, lag."""
        row = self.client.query(
            f"SELECT count(), max(emission_time) FROM {self.xapi} FINAL "  # noqa: S608
            "WHERE emission_time >= {since:DateTime64(6, 'UTC')}",
            parameters={"since": since.astimezone(UTC).replace(tzinfo=None)},
        ).result_rows[0]
        count, newest = int(row[0]), _aware(row[1]) if row[0] else None
        lag = (now - newest).total_seconds() if newest else None
        return {
            "run_rows": count,
            "most_recent_event": newest.isoformat() if newest else None,
            "lag_seconds": lag,
        }
