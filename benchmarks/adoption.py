"""Adopting an established install: rows/s of ``--adopt-established`` per table, against a
plain copy of the same rows (``INSERT ... SELECT *`` into a table like the original, which
keeps the original's partitioning: user_profile's 100 partitions make it the slower one).

The established ``user_profile`` (String dates, Int32 ids) and the raw xAPI table (DateTime64
without a time zone) are filled server-side with ``--rows`` rows each, then converted by the
migration runner; the plain copy is what any conversion costs at least (read + write once).

    python -m benchmarks.adoption [--rows 500000]
"""

import argparse
import tempfile
import time

from aspects_platform.clickhouse.adopt import adopt_table
from aspects_platform.clickhouse.connection import connect
from aspects_platform.clickhouse.established import established_differences
from aspects_platform.clickhouse.schema import SchemaSettings, load_migrations

from sandbox.clickhouse_server.process import EmbeddedClickHouse
from tests.clickhouse.established_schema import TABLES, XAPI_COLUMNS, XAPI_ENGINE

PROFILE_ROWS = (
    "SELECT toInt32(number), toInt32(number), concat('User ', toString(number)), "
    "concat('user', toString(number)), concat('u', toString(number), '@example.org'), '', '', "
    "'en', '', if(number % 3 = 0, 'None', toString(1980 + number % 30)), '', '', '', '', "
    "'FR', '', '', '', if(number % 2 = 0, 'None', '2024-02-03 04:05:06.789000+00:00'), '', "
    "generateUUIDv4(), '2024-05-01 10:00:00.123456+00:00' FROM numbers({n:UInt64})"
)
XAPI_ROWS = (
    "SELECT generateUUIDv4(), toDateTime64('2024-05-01 00:00:00', 6) + number, "
    'concat(\'{"verb": "x", "n": \', toString(number), \', "pad": "\', repeat(\'x\', 400), '
    "'\"}') FROM numbers({n:UInt64})"
)


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def plain_copy_secs(client, table: str) -> float:
    """Seconds to copy ``table`` into a table like it (no conversion, nothing replaced on
    insert, as the adoption copies); the best of two runs."""
    runs = []
    for _ in range(2):
        client.command(f"CREATE TABLE {table}_plain AS {table}")
        copy = f"INSERT INTO {table}_plain SETTINGS optimize_on_insert = 0 SELECT * FROM {table}"  # noqa: S608 fixed names
        runs.append(timed(lambda copy=copy: client.command(copy)))
        client.command(f"DROP TABLE {table}_plain SYNC")
    return min(runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.adoption")
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args(argv)
    settings = SchemaSettings()
    with tempfile.TemporaryDirectory() as home, EmbeddedClickHouse(home) as server:
        client = connect(server.url, server.username, server.password)
        for database in ("event_sink", "xapi"):
            client.command(f"CREATE DATABASE {database}")
        columns, engine = TABLES["user_profile"]
        client.command(f"CREATE TABLE event_sink.user_profile ({columns}) ENGINE = {engine}")
        client.command(f"CREATE TABLE xapi.xapi_events_all ({XAPI_COLUMNS}) ENGINE = {XAPI_ENGINE}")
        fill = {"event_sink.user_profile": PROFILE_ROWS, "xapi.xapi_events_all": XAPI_ROWS}
        for table, rows in fill.items():
            client.command(f"INSERT INTO {table} {rows}", parameters={"n": args.rows})
        plain = {table: plain_copy_secs(client, table) for table in fill}
        differences = established_differences(client, settings, load_migrations(), set())
        for difference in differences:
            if difference.name not in plain:
                continue
            report = None

            def adopt(difference=difference):
                nonlocal report
                report = adopt_table(client, settings, difference)

            secs = timed(adopt)
            assert report.rows_before == report.rows_after == args.rows, report
            print(
                f"{difference.name}: {args.rows:,} rows adopted in {secs:.2f}s "
                f"({args.rows / secs:,.0f} rows/s); plain copy {plain[difference.name]:.2f}s; "
                f"adoption / plain copy = {secs / plain[difference.name]:.1f}x"
            )


if __name__ == "__main__":
    main()
