"""``dump_data_to_clickhouse --object user_profile`` over 100k and 1M sandbox profiles.

Each size has its own sandbox SQLite file under ``.sandbox/bench/`` (seeded once, then reused).
Each run is a separate ``manage.py`` process against a private embedded ClickHouse; the table is
emptied first and its row count checked after. Prints rows/s, peak RSS of the dump process,
RSS growth from the smallest to the largest size, and ratios to the floor and the team goal.

    python -m benchmarks.dump_user_profile [--sizes 100000,1000000] [--batch-size 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from sandbox.lms.paths import REPO_ROOT, add_to_sys_path

BENCH_DIR = REPO_ROOT / ".sandbox" / "bench"
MANAGE = REPO_ROOT / "sandbox" / "manage.py"
FLOOR_ROWS_PER_S = 50_000
GOAL_ROWS_PER_S = 150_000
RSS_GROWTH_LIMIT_MB = 100
DATABASE = "event_sink"


@dataclass(frozen=True)
class Run:
    """One timed dump."""

    rows: int
    seconds: float
    startup_seconds: float
    peak_rss_mb: float

    @property
    def rows_per_s(self) -> float:
        """Whole command, Django start-up included."""
        return self.rows / self.seconds

    @property
    def rows_per_s_after_startup(self) -> float:
        """The same, minus the time a no-op ``manage.py`` takes to start."""
        return self.rows / max(self.seconds - self.startup_seconds, 1e-9)


def sandbox_env(db_file: Path, server=None) -> dict[str, str]:
    """Environment of a ``manage.py`` child: its SQLite file and, if given, the server."""
    env = {
        **os.environ,
        "ASPECTS_SANDBOX_DB": str(db_file),
        "ASPECTS_SANDBOX_DIR": str(BENCH_DIR),
        # Nothing but the command itself writes to ClickHouse.
        "ASPECTS_SANDBOX_SINKS_ENABLED": "1",
    }
    if server is not None:
        env |= {
            "ASPECTS_SANDBOX_CLICKHOUSE_URL": server.url,
            "ASPECTS_SANDBOX_CLICKHOUSE_USER": server.username,
            "ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD": server.password,
        }
    return env


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``command``; (wall seconds, peak RSS in MB of that process, stdout). Raises on error.

    The peak is sampled from the child's own RSS while it runs (psutil, every 10 ms). The
    kernel's ``ru_maxrss`` of a child is no good here: it keeps the parent's RSS from before
    ``exec`` (this benchmark process), whatever the dump itself used.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=out, stderr=err)
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                break
            time.sleep(0.01)
        process.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed:\n{stderr[-3000:]}")
    return seconds, peak / 2**20, stdout


def seeded_database(name: str, what: str, seed_args: list[str]) -> Path:
    """``.sandbox/bench/<name>.sqlite3`` seeded once with ``seed_sandbox *seed_args``."""
    db_file = BENCH_DIR / f"{name}.sqlite3"
    marker = db_file.with_suffix(".ready")
    if db_file.exists() and marker.exists():
        return db_file
    db_file.unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print(f"seeding {what} into {db_file} (once)...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(MANAGE), "seed_sandbox", *seed_args],
        env={**sandbox_env(db_file), "ASPECTS_SANDBOX_SINKS_ENABLED": "0"},
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(" ".join(seed_args) + "\n")
    print(f"  seeded in {time.perf_counter() - started:.1f}s", flush=True)
    return db_file


def ensure_seeded(size: int) -> Path:
    """The SQLite file with ``size`` profiles, seeding it the first time."""
    return seeded_database(
        f"profiles_{size}", f"{size:,} profiles", ["--users", str(size), "--no-external-ids"]
    )


def clickhouse_rows(client, table: str = "user_profile") -> tuple[int, int]:
    """(rows, distinct ids) in ``event_sink.<table>``."""
    from aspects_platform.clickhouse.identifiers import quote_identifier

    name = f"{quote_identifier(DATABASE)}.{quote_identifier(table)}"
    rows, ids = client.query(f"SELECT count(), uniqExact(id) FROM {name}").result_rows[0]  # noqa: S608
    return int(rows), int(ids)


def measure(size: int, server, client, batch_size: int, startup: float) -> Run:
    """Empty the table, dump ``size`` profiles in a child process, verify the count."""
    db_file = ensure_seeded(size)
    client.command(f"TRUNCATE TABLE IF EXISTS `{DATABASE}`.`user_profile`")
    command = [
        sys.executable, str(MANAGE), "dump_data_to_clickhouse", "--object", "user_profile",
        "--batch_size", str(batch_size), "--sleep_time", "0",
    ]  # fmt: skip
    seconds, peak_mb, _ = run_measured(command, sandbox_env(db_file, server))
    rows, ids = clickhouse_rows(client)
    if (rows, ids) != (size, size):
        raise RuntimeError(f"ClickHouse holds {rows} rows / {ids} ids, expected {size}")
    return Run(size, seconds, startup, peak_mb)


def startup_seconds(server) -> float:
    """Wall time of a ``manage.py`` that does nothing (best of 3)."""
    db_file = BENCH_DIR / "startup.sqlite3"
    env = sandbox_env(db_file, server)
    command = [sys.executable, str(MANAGE), "check"]
    return min(run_measured(command, env)[0] for _ in range(3))


def start_server():
    """A private embedded ClickHouse with the schema applied, on a free port."""
    from aspects_platform.clickhouse.connection import connect
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import SchemaSettings

    from sandbox.clickhouse_server.process import EmbeddedClickHouse, free_port

    server = EmbeddedClickHouse(BENCH_DIR / "clickhouse", port=free_port()).start()
    client = connect(server.url, server.username, server.password, timeout_secs=300)
    apply_migrations(client, SchemaSettings())
    return server, client


def report(runs: list[Run]) -> None:
    """Print one line per size, then growth and ratios."""
    print(f"{'profiles':>10} {'seconds':>8} {'rows/s':>9} {'rows/s*':>9} {'peak RSS':>9}")
    for run in runs:
        print(
            f"{run.rows:>10,} {run.seconds:>8.2f} {run.rows_per_s:>9,.0f} "
            f"{run.rows_per_s_after_startup:>9,.0f} {run.peak_rss_mb:>7.0f}MB"
        )
    print(f"  rows/s* = excluding {runs[0].startup_seconds:.2f}s of manage.py start-up")
    for run in runs:
        print(
            f"  {run.rows:,}: {run.rows_per_s / FLOOR_ROWS_PER_S:.2f}x the floor "
            f"({FLOOR_ROWS_PER_S:,}/s), {run.rows_per_s / GOAL_ROWS_PER_S:.2f}x the goal "
            f"({GOAL_ROWS_PER_S:,}/s)"
        )
    if len(runs) > 1:
        growth = runs[-1].peak_rss_mb - runs[0].peak_rss_mb
        verdict = "within" if growth < RSS_GROWTH_LIMIT_MB else "OVER"
        print(
            f"  peak RSS growth {runs[0].rows:,} -> {runs[-1].rows:,}: {growth:+.0f} MB "
            f"({verdict} the {RSS_GROWTH_LIMIT_MB} MB limit)"
        )


def main(argv: list[str] | None = None) -> int:
    """Seed (once), dump each size, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dump_user_profile")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(size) for size in args.sizes.split(",")})
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if not sizes or sizes[0] < 1:
        parser.error("--sizes must be positive integers")
    add_to_sys_path()
    for size in sizes:
        ensure_seeded(size)
    server, client = start_server()
    try:
        startup = startup_seconds(server)
        runs = [measure(size, server, client, args.batch_size, startup) for size in sizes]
    finally:
        server.stop()
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
