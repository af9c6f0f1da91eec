"""1M ``user_profile`` rows into the embedded ClickHouse over HTTP: rows/s and server peak RSS.

The CSV is built up front (the dump's cost is not measured here), then POSTed as
``INSERT INTO event_sink.user_profile (cols) FORMAT CSV`` in batches over one keep-alive
session, as the dump command does, and once as a single POST. Each run starts from an empty
table and checks the row count after. The goal: the server is never the bottleneck of a
150k rows/s dump.

    python -m benchmarks.clickhouse_insert [--rows 1000000] [--batch-sizes 10000,100000]
"""

import argparse
import csv
import io
import tempfile
import threading
import time
import uuid

import psutil
import requests
from aspects_platform.clickhouse.connection import connect
from aspects_platform.clickhouse.runner import apply_migrations
from aspects_platform.clickhouse.schema import SchemaSettings, table_columns

from sandbox.clickhouse_server.process import EmbeddedClickHouse

DUMP_GOAL_ROWS_PER_S = 150_000
TABLE = "event_sink.user_profile"


def build_rows(count: int, columns: list[str]) -> list[bytes]:
    """One CSV line per row, ~10 % with commas, quotes, newlines and non-ASCII."""
    dump_id = str(uuid.uuid4())
    lines = []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for i in range(count):
        tricky = i % 10 == 0
        values = {
            "id": i,
            "user_id": i,
            "name": f'Ada "{i}", Lovelace\nÉcole' if tricky else f"User {i}",
            "username": f"user{i}",
            "email": f"user{i}@example.org",
            "year_of_birth": 1980 + i % 30 if i % 3 else "",
            "profile_image_uploaded_at": "",
            "dump_id": dump_id,
            "time_last_dumped": "2026-11-24 12:00:00.000000",
        }
        writer.writerow([values.get(column, "") for column in columns])
        lines.append(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
    return lines


class PeakRss:
    """Samples a process's RSS every 20 ms in a thread."""

    def __init__(self, pid: int):
        self._process = psutil.Process(pid)
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def insert(server, session, columns, lines, batch_size) -> tuple[float, int]:
    """POST ``lines`` in batches; return (seconds, server peak RSS bytes)."""
    query = f"INSERT INTO {TABLE} ({', '.join(columns)}) FORMAT CSV"  # noqa: S608
    batches = [b"".join(lines[i : i + batch_size]) for i in range(0, len(lines), batch_size)]
    with PeakRss(server.running_pid()) as rss:
        started = time.perf_counter()
        for batch in batches:
            response = session.post(server.url, params={"query": query}, data=batch)
            response.raise_for_status()
        seconds = time.perf_counter() - started
    return seconds, rss.peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clickhouse_insert")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-sizes", default="10000,100000")
    args = parser.parse_args(argv)
    sizes = [min(int(size), args.rows) for size in args.batch_sizes.split(",")] + [args.rows]
    batch_sizes = list(dict.fromkeys(sizes))  # unique, in order; the last is a single POST
    with tempfile.TemporaryDirectory() as home, EmbeddedClickHouse(home) as server:
        client = connect(server.url, server.username, server.password)
        apply_migrations(client, SchemaSettings())
        columns = [name for name, _ in table_columns(client, "event_sink", "user_profile")]
        started = time.perf_counter()
        lines = build_rows(args.rows, columns)
        csv_mb = sum(map(len, lines)) / 1e6
        built = time.perf_counter() - started
        print(f"built {args.rows:,} CSV rows ({csv_mb:.0f} MB) in {built:.1f}s")
        idle_mb = psutil.Process(server.running_pid()).memory_info().rss / 1e6
        print(f"server idle RSS: {idle_mb:.0f} MB")
        session = requests.Session()
        session.auth = (server.username, server.password)
        for batch_size in batch_sizes:
            client.command(f"TRUNCATE TABLE {TABLE}")
            seconds, peak = insert(server, session, columns, lines, batch_size)
            count = client.command(f"SELECT count() FROM {TABLE}")  # noqa: S608
            assert count == args.rows, f"expected {args.rows} rows, found {count}"
            rate = args.rows / seconds
            label = "single POST" if batch_size == args.rows else f"{batch_size:,} rows/POST"
            print(
                f"{label:>20}: {rate:,.0f} rows/s ({seconds:.2f}s), server peak RSS "
                f"{peak / 1e6:.0f} MB, {rate / DUMP_GOAL_ROWS_PER_S:.1f}x the 150k rows/s dump goal"
            )


if __name__ == "__main__":
    main()
