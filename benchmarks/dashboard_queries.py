"""Instructor-dashboard chart queries on synthetic xAPI data: build time and p50/p95 per chart.

On a fresh embedded ClickHouse (over HTTP):

1. the schema up to the raw tables (migrations before the reporting ones), the sink rows and
   the first 90 % of the statements (``sandbox.xapi_synthetic``, generated inside ClickHouse):
   the raw insert rate;
2. the reporting migrations: their backfill of what is already there;
3. the last 10 % of the statements with the materialized views live: the insert rate with the
   views filling, against the raw rate;
4. every instructor chart's SQL as Superset sends it (``tutoraspects.superset_assets.query``),
   for several courses (the guest token's RLS), repeated: p50/p95 per chart, against 1 s.

Prints the server's peak RSS of each phase and the machine's load average. ``--explain`` prints
``EXPLAIN indexes = 1`` of the charts over target. ``--data-dir`` keeps the data: a later run
with the same sizes skips 1-3, applies the migrations added since (timed) and times the charts.

    python -m benchmarks.dashboard_queries [--events 10000000] [--learners 10000] [--courses 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psutil

from sandbox.lms.paths import add_to_sys_path

add_to_sys_path()  # this tree's in-platform app (migrations), not an installed copy

from benchmarks.clickhouse_insert import PeakRss  # noqa: E402

TARGET_P95_S = 1.0
#: Migrations up to this version create the raw tables; later ones the reporting objects.
LAST_RAW_MIGRATION = 5
LIVE_SHARE = 0.10


@dataclass
class Phase:
    name: str
    seconds: float
    rows: int
    peak_rss_mb: float

    def line(self) -> str:
        rate = f"{self.rows / self.seconds:>12,.0f} rows/s" if self.rows else " " * 19
        return f"  {self.name:<44} {self.seconds:>8.1f}s {rate} {self.peak_rss_mb:>7.0f}MB"


def timed(name: str, pid: int, rows: int, action: Callable[[], object]) -> Phase:
    """Run ``action``; its wall time and the server's peak RSS meanwhile."""
    with PeakRss(pid) as rss:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    phase = Phase(name, seconds, rows, rss.peak / 2**20)
    print(f"  done: {phase.line().strip()}; {load()}", flush=True)  # long runs: see it now
    return phase


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def sample_courses(client, settings, count: int) -> list[tuple[str, str]]:
    """``count`` (org, course_key) spread over the course list."""
    from aspects_platform.clickhouse.identifiers import quote_identifier

    table = f"{quote_identifier(settings.event_sink_database)}.course_overviews"
    rows = client.query(f"SELECT org, course_key FROM {table} ORDER BY course_key").result_rows  # noqa: S608
    step = max(len(rows) // count, 1)
    return [tuple(row) for row in rows[::step][:count]]


def databases(settings) -> dict[str, str]:
    return {
        "reporting": settings.reporting_database,
        "event_sink": settings.event_sink_database,
        "xapi": settings.xapi_database,
    }


def time_charts(client, settings, courses, repeats: int, explain: bool) -> list[tuple]:
    """(chart key, p50, p95, max, rows of the last run) per instructor chart."""
    from tutoraspects.superset_assets.content import instructor
    from tutoraspects.superset_assets.query import chart_query

    datasets = {dataset.key: dataset for dataset in instructor.DATASETS}
    results = []
    for chart in instructor.CHARTS:
        sql = chart_query(chart, datasets[chart.dataset], databases(settings))
        seconds, rows = [], 0
        for org, course_key in courses:
            for _ in range(repeats):
                started = time.perf_counter()
                rows = len(
                    client.query(sql, parameters={"org": org, "course_key": course_key}).result_rows
                )
                seconds.append(time.perf_counter() - started)
        p50, p95 = statistics.median(seconds), percentile(seconds, 0.95)
        results.append((chart.key, p50, p95, max(seconds), rows))
        if explain and p95 > TARGET_P95_S:
            org, course_key = courses[0]
            plan = client.query(
                f"EXPLAIN indexes = 1 {sql}", parameters={"org": org, "course_key": course_key}
            ).result_rows
            print(f"-- {chart.key}: p95 {p95:.2f}s\n{sql}\n" + "\n".join(r[0] for r in plan))
    return results


def build(client, pid: int, settings, sizes, chunk: int) -> list[Phase]:
    """Phases 1-3 on an empty server: sink rows, raw statements, backfill, views-live insert."""
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import load_migrations

    from sandbox import xapi_synthetic

    live = int(sizes.events * LIVE_SHARE)
    raw = sizes.events - live
    raw_schema = [m for m in load_migrations() if m.version <= LAST_RAW_MIGRATION]
    apply_migrations(client, settings, raw_schema)

    def progress(done: int) -> None:
        print(f"    {done:,} statements", flush=True)

    return [
        timed(
            "sink rows", pid, 0,
            lambda: xapi_synthetic.insert_sink_rows(client, settings, sizes),
        ),
        timed(
            f"raw insert, {raw:,} statements (no views)", pid, raw,
            lambda: xapi_synthetic.insert_statements(
                client, settings, sizes, 0, raw, chunk, progress
            ),
        ),
        timed(
            "reporting migrations (backfill)", pid, raw,
            lambda: apply_migrations(client, settings),
        ),
        timed(
            f"insert {live:,} statements, views live", pid, live,
            lambda: xapi_synthetic.insert_statements(
                client, settings, sizes, raw, live, chunk, progress
            ),
        ),
    ]  # fmt: skip


def report_build(phases: list[Phase]) -> None:
    print(f"{'phase':<46} {'seconds':>9} {'rate':>19} {'peak RSS':>8}")
    for phase in phases:
        print(phase.line())
    if len(phases) == 4 and phases[1].seconds and phases[3].rows:
        raw, live = phases[1], phases[3]
        ratio = (live.rows / live.seconds) / (raw.rows / raw.seconds)
        print(f"  views cost: insert rate {ratio:.0%} of the raw rate")


def report_charts(results: list[tuple], courses: int, repeats: int) -> None:
    print(f"\ncharts: {courses} courses x {repeats} runs = {courses * repeats} samples each")
    print(f"{'chart':<40} {'p50':>7} {'p95':>7} {'max':>7} {'rows':>6}")
    for key, p50, p95, worst, rows in results:
        flag = "  MISSES 1 s" if p95 > TARGET_P95_S else ""
        print(f"{key:<40} {p50:>6.3f}s {p95:>6.3f}s {worst:>6.3f}s {rows:>6}{flag}")
    missing = [key for key, _, p95, _, _ in results if p95 > TARGET_P95_S]
    print(
        f"{len(results) - len(missing)}/{len(results)} charts with p95 <= {TARGET_P95_S:.0f} s"
        + (f"; over: {', '.join(missing)}" if missing else "")
    )


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard_queries")
    parser.add_argument("--events", type=int, default=10_000_000, help="xAPI statements")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--sample-courses", type=int, default=5, help="courses each chart runs for")
    parser.add_argument("--repeats", type=int, default=3, help="runs per chart and course")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="statements per INSERT")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the charts over 1 s")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the server's data here; a later run with the same sizes reuses it (applies "
        "new migrations, timed, then times the charts)",
    )
    args = parser.parse_args(argv)
    from aspects_platform.clickhouse.connection import connect
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import SchemaSettings

    from sandbox import xapi_synthetic
    from sandbox.clickhouse_server.process import EmbeddedClickHouse

    try:
        sizes = xapi_synthetic.Sizes(args.events, args.learners, args.courses)
    except ValueError as error:
        parser.error(str(error))
    for name in ("sample_courses", "repeats", "chunk"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    settings = SchemaSettings()
    print(
        f"{sizes.events:,} xAPI statements, {sizes.learners:,} learners, {sizes.courses} courses "
        f"({sizes.enrollments:,} enrollments); {load()}",
        flush=True,
    )
    with ExitStack() as stack:
        home = args.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        marker = home / "built.txt"
        built = marker.exists() and marker.read_text() == repr(sizes)
        if args.data_dir and not built and any(home.iterdir() if home.exists() else ()):
            parser.error(f"--data-dir {home} holds other data (not {sizes}): give an empty one")
        server = stack.enter_context(EmbeddedClickHouse(home))
        client = connect(server.url, server.username, server.password, timeout_secs=3600)
        pid = server.running_pid()
        if built:
            print(f"reusing the data in {home}", flush=True)
            phases = [timed("new migrations", pid, 0, lambda: apply_migrations(client, settings))]
        else:
            phases = build(client, pid, settings, sizes, args.chunk)
            marker.write_text(repr(sizes))
        report_build(phases)
        courses = sample_courses(client, settings, args.sample_courses)
        with PeakRss(pid) as rss:
            results = time_charts(client, settings, courses, args.repeats, args.explain)
        report_charts(results, len(courses), args.repeats)
        print(
            f"server peak RSS while charting: {rss.peak / 2**20:.0f} MB; this process "
            f"{psutil.Process().memory_info().rss / 2**20:.0f} MB; {load()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
