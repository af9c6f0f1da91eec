"""The report of a run, computed from its stored samples: figures, a CSV and a PNG plot.

- sent: the ``end`` row's event count; arrived: the last sample's xAPI rows of the run.
- kept for retry: events ERB failed to send (Ralph or ClickHouse down) and keeps in its dead
  queue, as the generator counted them at the end of the run (the ``end`` row).
- loss: sent - arrived - kept when nothing is queued any more; else the rest is reported as
  queued.
- throughput: arrived / seconds from the start row to the first sample showing every arrival.
- lag (p50/p95/max): the samples' ``now - newest event`` while events were still arriving.
- peak backlog: the largest backlog sampled (unknown when the backend has no queue to read).
- not arrived: sent - arrived, always printed when not zero, with how much of it is kept,
  queued or lost, and why: how long samples found ClickHouse unreachable or the LRS (Ralph)
  not answering (each down sample counts until the next sample).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aspects_platform.load_test.store import LoadTestStore, RunRow, Sample

CSV_COLUMNS = ("timestamp", "elapsed_s", "rows", "throughput_eps", "lag_s", "backlog")


class ReportError(Exception):
    """The run is unknown or has no samples."""


@dataclass(frozen=True)
class SeriesPoint:
    timestamp: str
    elapsed_s: float
    rows: int | None  # None: ClickHouse did not answer this sample
    throughput_eps: float | None
    lag_s: float | None
    backlog: int | None


@dataclass(frozen=True)
class Report:
    run_id: str
    sent: int | None
    arrived: int
    queued: int | None
    kept_for_retry: int | None
    lost: int | None
    throughput_eps: float | None
    lag_p50_s: float | None
    lag_p95_s: float | None
    lag_max_s: float | None
    peak_backlog: int | None
    series: list[SeriesPoint]
    tags: list[str]
    clickhouse_down_s: float = 0.0
    lrs_down_s: float = 0.0

    def not_arrived(self) -> str:
        """``sent - arrived`` and why, never a bare zero when something is missing."""
        if self.sent is None:
            return "unknown (no end row: events sent unknown)"
        missing = self.sent - self.arrived
        if missing <= 0:
            return "0"
        parts = [f"{self.kept_for_retry} kept in ERB's dead queue"] if self.kept_for_retry else []
        parts.append("no queue measured" if self.queued is None else f"{self.queued} queued")
        parts.append("lost unknown" if self.lost is None else f"{self.lost} lost")
        why = []
        if self.clickhouse_down_s:
            why.append(f"ClickHouse unreachable for {self.clickhouse_down_s:.1f} s")
        if self.lrs_down_s:
            why.append(f"Ralph (the LRS) down for {self.lrs_down_s:.1f} s")
        reason = "; ".join(why) or "no outage sampled"
        return (
            f"{missing} events lost or still queued (sent {self.sent} - arrived {self.arrived}:"
            f" {', '.join(parts)}); why: {reason}"
        )

    def lines(self) -> list[str]:
        def seconds(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.2f} s"

        sent = "unknown (no end row)" if self.sent is None else str(self.sent)
        lost = "n/a" if self.lost is None else f"{self.lost}"
        if self.sent:
            lost += f" ({100.0 * (self.lost or 0) / self.sent:.1f} %)"
        queued = "unknown" if self.queued is None else str(self.queued)
        kept = "n/a (ERB does not batch: failed events are dropped)"
        if self.kept_for_retry is not None:
            kept = f"{self.kept_for_retry} in ERB's dead queue"
            if self.kept_for_retry:
                kept += " (re-send: ./manage.py lms recover_failed_events --transformer_type xapi)"
        throughput = "n/a" if self.throughput_eps is None else f"{self.throughput_eps:.1f} events/s"
        peak = (
            "unknown (no queue to measure)" if self.peak_backlog is None else str(self.peak_backlog)
        )
        return [
            f"load test {self.run_id} (tags: {', '.join(self.tags) or '-'})",
            f"  events sent:     {sent}",
            f"  events arrived:  {self.arrived}",
            f"  still queued:    {queued}",
            f"  kept for retry:  {kept}",
            f"  lost:            {lost}",
            f"  not arrived:     {self.not_arrived()}",
            f"  throughput:      {throughput}",
            f"  lag p50/p95/max: {seconds(self.lag_p50_s)} / {seconds(self.lag_p95_s)} / "
            f"{seconds(self.lag_max_s)}",
            f"  peak backlog:    {peak}",
        ]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _series(start: RunRow, samples: list[Sample]) -> list[SeriesPoint]:
    points = []
    previous_rows, previous_elapsed = 0, 0.0
    for sample in samples:
        elapsed = (sample.timestamp - start.timestamp).total_seconds()
        rows = sample.stats["clickhouse"].get("run_rows")
        throughput = None
        if rows is not None:  # ClickHouse answered: arrivals since the last answer
            span = elapsed - previous_elapsed
            throughput = round((rows - previous_rows) / span if span > 0 else 0.0, 6)
            previous_rows, previous_elapsed = rows, elapsed
        points.append(
            SeriesPoint(
                sample.timestamp.isoformat(),
                round(elapsed, 6),
                rows,
                throughput,
                sample.stats["clickhouse"].get("lag_seconds"),
                sample.stats.get("backlog", {}).get("backlog"),
            )
        )
    return points


def down_seconds(samples: list[Sample], is_down: Callable[[dict], bool]) -> float:
    """Seconds from each sample that found a service down to the next sample."""
    pairs = zip(samples, samples[1:], strict=False)
    return sum((b.timestamp - a.timestamp).total_seconds() for a, b in pairs if is_down(a.stats))


def _clickhouse_down(stats: dict) -> bool:
    return bool(stats["clickhouse"].get("unreachable"))


def _lrs_down(stats: dict) -> bool:
    return (stats.get("lrs") or {}).get("up") is False


def build_report(run_id: str, rows: dict[str, RunRow], samples: list[Sample]) -> Report:
    """Every figure from the run's rows and samples (no other source)."""
    start = rows.get("start")
    if start is None:
        raise ReportError(f"no load test run {run_id!r}: it has no start row")
    if not samples:
        raise ReportError(f"load test {run_id} has no samples: was the monitor running?")
    end = rows.get("end")
    sent = end.extra.get("sent_event_count") if end else None
    kept = end.extra.get("kept_for_retry") if end else None
    series = _series(start, samples)
    answered = [point for point in series if point.rows is not None]
    arrived = answered[-1].rows if answered else 0
    last_backlog = series[-1].backlog
    first_complete = next((point for point in answered if point.rows == arrived), series[-1])
    arriving = [point for point in series if point.elapsed_s <= first_complete.elapsed_s]
    lags = [point.lag_s for point in arriving if point.lag_s is not None and point.rows]
    backlogs = [point.backlog for point in series if point.backlog is not None]
    lost = None
    if sent is not None:
        missing = sent - arrived - (kept or 0)
        # Every event accounted for: nothing lost, whatever else the queue holds (the LMS's
        # default Celery queue carries other tasks too). Otherwise only an empty backlog says
        # the missing events are lost rather than still on their way.
        if missing <= 0 or not last_backlog:
            lost = max(missing, 0)
    return Report(
        run_id=run_id,
        sent=sent,
        arrived=arrived,
        queued=last_backlog,
        kept_for_retry=kept,
        lost=lost,
        throughput_eps=arrived / first_complete.elapsed_s if first_complete.elapsed_s > 0 else None,
        lag_p50_s=percentile(lags, 0.50),
        lag_p95_s=percentile(lags, 0.95),
        lag_max_s=max(lags) if lags else None,
        peak_backlog=max(backlogs) if backlogs else None,
        series=series,
        tags=list(start.extra.get("tags") or []),
        clickhouse_down_s=down_seconds(samples, _clickhouse_down),
        lrs_down_s=down_seconds(samples, _lrs_down),
    )


def load_report(store: LoadTestStore, run_id: str) -> Report:
    return build_report(run_id, store.run_rows(run_id), store.samples(run_id))


def write_csv(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for point in report.series:
            writer.writerow(
                [
                    point.timestamp,
                    point.elapsed_s,
                    "" if point.rows is None else point.rows,
                    "" if point.throughput_eps is None else point.throughput_eps,
                    "" if point.lag_s is None else point.lag_s,
                    "" if point.backlog is None else point.backlog,
                ]
            )
    return path


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def write_plot(report: Report, path: Path) -> Path:
    """Throughput, lag and backlog over time, one panel each (matplotlib, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    elapsed = [point.elapsed_s for point in report.series]
    panels = (
        ("throughput (events/s)", [_nan(point.throughput_eps) for point in report.series]),
        ("lag (s)", [_nan(point.lag_s) for point in report.series]),
        ("backlog (events)", [_nan(point.backlog) for point in report.series]),
    )
    figure, axes = pyplot.subplots(len(panels), 1, sharex=True, figsize=(8, 7))
    for axis, (label, values) in zip(axes, panels, strict=True):
        axis.plot(elapsed, values, marker=".")
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
    axes[-1].set_xlabel("seconds since the run started")
    figure.suptitle(f"Aspects load test {report.run_id}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # The plotted series travel in the PNG's own text chunk (checked against the CSV).
    description = json.dumps({label: values for label, values in panels} | {"elapsed": elapsed})
    figure.savefig(path, format="png", dpi=100, metadata={"Description": description})
    pyplot.close(figure)
    return path


def write_unstored_samples(samples: list[Sample], path: Path) -> Path:
    """Samples ClickHouse never took: ``timestamp`` and ``stats`` (JSON), as load_test_stats."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("timestamp", "stats"))
        for sample in samples:
            writer.writerow((sample.timestamp.isoformat(), json.dumps(sample.stats)))
    return path


def write_files(report: Report, directory: Path) -> tuple[Path, Path]:
    """``<dir>/load_test_<run>.csv`` and ``.png``."""
    stem = directory / f"load_test_{report.run_id}"
    return write_csv(report, stem.with_suffix(".csv")), write_plot(report, stem.with_suffix(".png"))
