"""``Monitor``: attach to a run that just started, sample the pipeline each period, store it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aspects_platform.load_test import lrs
from aspects_platform.load_test.backlogs import read_backlog
from aspects_platform.load_test.store import LoadTestStore, RunRow, Sample, utc_now

#: A run counts as "just started" for this long (the monitor starts beside the generator).
ATTACH_WINDOW_SECS = 300.0


#: The monitor's first line: it is up and looking for a run (a generator may start now).
WAITING = "waiting for a load test to start"


class NoRunFound(Exception):
    """No unfinished run started recently enough to attach to."""


@dataclass(frozen=True)
class MonitorOptions:
    sleep_time: float = 10.0
    backend: str = "celery"
    timeout: float = 300.0


def next_tick(previous: float, period: float, now: float) -> float:
    """The next sample time on the grid ``previous + k * period`` that is not in the past.

    A slow sample skips the ticks it overran instead of shifting every later sample.
    """
    if period <= 0:
        return now
    tick = previous + period
    if tick < now:
        tick += math.ceil((now - tick) / period) * period
    return tick


#: After the run ended, rows that stopped growing for this long (and this many samples) with
#: no backlog left mean nothing more is coming (events lost, or a backend without a queue).
SETTLE_SECS = 10.0
SETTLE_SAMPLES = 3


def drained(stats: dict, sent: int | None, unchanged_samples: int, unchanged_secs: float) -> bool:
    """True when nothing is left to arrive: every event arrived, or no backlog and no movement."""
    rows = stats["clickhouse"]["run_rows"]
    if sent is not None and rows >= sent:
        return True
    if stats["backlog"].get("backlog"):
        return False
    return unchanged_samples >= SETTLE_SAMPLES and unchanged_secs >= SETTLE_SECS


def _short(error: Exception) -> str:
    """An error as one short line (type and message; no traceback)."""
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"


class Monitor:
    """Samples xAPI rows, newest event, lag, backlog and the LRS into ``load_test_stats``.

    When ClickHouse does not answer, the backlog and the LRS are still sampled; the samples it
    could not store wait in ``pending`` and are written, in order, once it answers again (the
    command writes any left at the end to a local CSV). Every sample taken is kept in
    ``samples``, the run's rows seen in ``rows``: the report can be built without ClickHouse.
    """

    def __init__(
        self,
        store: LoadTestStore,
        options: MonitorOptions,
        out: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.options = options
        self.out = out
        self.clock = clock
        self.sleep = sleep
        self.pending: list[Sample] = []
        self.samples: list[Sample] = []
        self.rows: dict[str, RunRow] = {}
        self.lrs_urls: list[str] = []
        self.unreachable_since: float | None = None

    def attach(self) -> RunRow:
        """Wait (up to the timeout) for an unfinished run started in the last few minutes."""
        deadline = self.clock() + self.options.timeout
        self.out(f"{WAITING} (up to {self.options.timeout:g} s)")
        while True:
            run = self.store.newest_unfinished_run(ATTACH_WINDOW_SECS)
            if run is not None:
                self.out(f"monitoring load test {run.run_id} ({self.options.backend})")
                self.rows = {"start": run}
                self.lrs_urls = lrs.route_urls()
                return run
            if self.clock() >= deadline:
                raise NoRunFound(
                    f"no unfinished load test started in the last {ATTACH_WINDOW_SECS:.0f} s "
                    f"appeared within {self.options.timeout:g} s"
                )
            self.sleep(min(1.0, self.options.sleep_time or 1.0))

    def _clickhouse_failed(self, error: Exception) -> None:
        if self.unreachable_since is None:
            self.unreachable_since = self.clock()
            self.out(f"ClickHouse unreachable ({_short(error)}): samples kept until it answers")

    def sample(self, run: RunRow) -> dict:
        """Take one sample; store it with any earlier ones ClickHouse could not take."""
        now = utc_now()
        stats: dict = {}
        # Rows first, then the backlog: an event counted as arrived is no longer queued.
        try:
            stats["clickhouse"] = self.store.xapi_stats(run.timestamp, now)
        except Exception as error:  # noqa: BLE001 - sample what can be sampled
            stats["clickhouse"] = {"run_rows": None, "unreachable": _short(error)}
            self._clickhouse_failed(error)
        stats["backend"] = self.options.backend
        stats["backlog"] = read_backlog(self.options.backend)
        stats["lrs"] = lrs.lrs_status(self.lrs_urls)
        sample = Sample(now, stats)
        self.samples.append(sample)
        self.pending.append(sample)
        self.store_pending(run.run_id)
        return stats

    def store_pending(self, run_id: str) -> bool:
        """Write the samples not stored yet (oldest first); True when none is left."""
        if not self.pending:
            return True
        try:
            self.store.store_samples(run_id, self.pending)
        except Exception as error:  # noqa: BLE001 - kept for the next try
            self._clickhouse_failed(error)
            return False
        if self.unreachable_since is not None:
            down = self.clock() - self.unreachable_since
            self.out(
                f"ClickHouse answers again after {down:.1f} s: "
                f"{len(self.pending)} samples kept meanwhile stored"
            )
            self.unreachable_since = None
        self.pending = []
        return True

    def _end_row(self, run_id: str) -> RunRow | None:
        if "end" not in self.rows:
            try:
                end = self.store.run_rows(run_id).get("end")
            except Exception as error:  # noqa: BLE001 - ClickHouse down: not known yet
                self._clickhouse_failed(error)
                return None
            if end is not None:
                self.rows["end"] = end
        return self.rows.get("end")

    def run(self) -> str:
        """Attach, then sample until the run ended and its events drained (or the timeout,
        which also bounds how long ClickHouse may stay unreachable)."""
        run = self.attach()
        tick = self.clock()
        previous_rows, unchanged, changed_at = None, 0, self.clock()
        ended_at: float | None = None
        while True:
            stats = self.sample(run)
            rows = stats["clickhouse"]["run_rows"]
            if rows is None:
                unchanged = 0  # nothing known about arrivals while ClickHouse is down
            elif rows != previous_rows:
                previous_rows, unchanged, changed_at = rows, 0, self.clock()
            else:
                unchanged += 1
            end = self._end_row(run.run_id)
            down = self.unreachable_since
            if down is not None and self.clock() - down >= self.options.timeout:
                self.out(f"stopped: ClickHouse unreachable for {self.clock() - down:.0f} s")
                break
            if end is not None and rows is not None:
                ended_at = ended_at if ended_at is not None else self.clock()
                # Events ERB kept in its dead queue will not arrive on their own.
                sent = end.extra.get("sent_event_count")
                if sent is not None:
                    sent -= end.extra.get("kept_for_retry") or 0
                if drained(stats, sent, unchanged, self.clock() - changed_at):
                    break
                if self.clock() - ended_at >= self.options.timeout:
                    self.out(f"stopped waiting for the backlog after {self.options.timeout:g} s")
                    break
            tick = next_tick(tick, self.options.sleep_time, self.clock())
            self.sleep(max(0.0, tick - self.clock()))
        self.store_pending(run.run_id)
        return run.run_id
