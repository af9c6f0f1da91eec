"""``Monitor``: attach to a run that just started, sample the pipeline each period, store it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aspects_platform.load_test.backlogs import read_backlog
from aspects_platform.load_test.store import LoadTestStore, RunRow, utc_now

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


class Monitor:
    """Samples xAPI rows, newest event, lag and backlog into ``load_test_stats``."""

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

    def attach(self) -> RunRow:
        """Wait (up to the timeout) for an unfinished run started in the last few minutes."""
        deadline = self.clock() + self.options.timeout
        self.out(f"{WAITING} (up to {self.options.timeout:g} s)")
        while True:
            run = self.store.newest_unfinished_run(ATTACH_WINDOW_SECS)
            if run is not None:
                self.out(f"monitoring load test {run.run_id} ({self.options.backend})")
                return run
            if self.clock() >= deadline:
                raise NoRunFound(
                    f"no unfinished load test started in the last {ATTACH_WINDOW_SECS:.0f} s "
                    f"appeared within {self.options.timeout:g} s"
                )
            self.sleep(min(1.0, self.options.sleep_time or 1.0))

    def sample(self, run: RunRow) -> dict:
        """Take and store one sample."""
        now = utc_now()
        stats = {
            "clickhouse": self.store.xapi_stats(run.timestamp, now),
            "backend": self.options.backend,
            "backlog": read_backlog(self.options.backend),
        }
        self.store.store_sample(run.run_id, stats, now)
        return stats

    def run(self) -> str:
        """Attach, then sample until the run ended and its events drained (or the timeout)."""
        run = self.attach()
        tick = self.clock()
        previous_rows, unchanged, changed_at = None, 0, self.clock()
        ended_at: float | None = None
        while True:
            stats = self.sample(run)
            rows = stats["clickhouse"]["run_rows"]
            if rows != previous_rows:
                previous_rows, unchanged, changed_at = rows, 0, self.clock()
            else:
                unchanged += 1
            end = self.store.run_rows(run.run_id).get("end")
            if end is not None:
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
        return run.run_id
