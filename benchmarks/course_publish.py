"""A 5,000-block course publish: time until all its rows are in ``course_blocks``.

Runs in-process on a fresh sandbox (``.sandbox/bench/publish.sqlite3``) against a private
embedded ClickHouse. The clock starts before ``modulestore().publish(<course root>)`` (which sends
COURSE_PUBLISHED to the in-platform app's receiver) and stops when ClickHouse holds every
block of the course, polled every 5 ms. Celery runs eagerly, as the sandbox CLI does.

    python -m benchmarks.course_publish [--blocks 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchmarks._sandbox_django import BENCH_DIR, setup_sandbox_django
from sandbox.lms.paths import add_to_sys_path

TARGET_SECONDS = 1.0
POLL_SECONDS = 0.005
TIMEOUT_SECONDS = 60.0


def setup_django(server, db_name: str = "publish.sqlite3") -> None:
    """Point the sandbox settings at a fresh SQLite file and the private server."""
    setup_sandbox_django(
        db_name,
        sinks_enabled=True,
        ASPECTS_SANDBOX_CLICKHOUSE_URL=server.url,
        ASPECTS_SANDBOX_CLICKHOUSE_USER=server.username,
        ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD=server.password,
    )


def blocks_in_clickhouse(client, course_key: str) -> int:
    """Distinct blocks of the course in ``event_sink.course_blocks``."""
    return int(
        client.query(
            "SELECT uniqExact(location) FROM `event_sink`.`course_blocks` "
            "WHERE course_key = {key:String}",
            parameters={"key": course_key},
        ).result_rows[0][0]
    )


def time_publish(client, course_key, blocks: int) -> float:
    """Seconds from publish() to ``blocks`` rows of the course in ClickHouse."""
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import modulestore

    client.command("TRUNCATE TABLE IF EXISTS `event_sink`.`course_blocks`")
    started = time.perf_counter()
    root = course_key.make_usage_key("course", "course")
    modulestore().publish(root, ModuleStoreEnum.UserID.test)
    while blocks_in_clickhouse(client, str(course_key)) < blocks:
        if time.perf_counter() - started > TIMEOUT_SECONDS:
            raise RuntimeError(f"course_blocks did not reach {blocks} rows in {TIMEOUT_SECONDS}s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def time_outline_read(course_key) -> float:
    """Seconds to load the whole outline from the stand-in modulestore (part of a publish)."""
    from xmodule.modulestore.django import modulestore

    started = time.perf_counter()
    course = modulestore().get_course(course_key)
    sum(1 for _ in course.walk())
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Build the course, publish it ``--repeat`` times, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.course_publish")
    parser.add_argument("--blocks", type=int, default=5000, help="blocks in the course")
    parser.add_argument("--repeat", type=int, default=5, help="publishes to time")
    args = parser.parse_args(argv)
    if args.blocks < 8 or args.repeat < 1:
        parser.error("--blocks must be >= 8 and --repeat >= 1")
    add_to_sys_path()
    from aspects_platform.clickhouse.connection import connect
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import SchemaSettings

    from sandbox.clickhouse_server.process import EmbeddedClickHouse, free_port

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server = EmbeddedClickHouse(BENCH_DIR / "clickhouse", port=free_port()).start()
    try:
        client = connect(server.url, server.username, server.password, timeout_secs=300)
        apply_migrations(client, SchemaSettings())
        setup_django(server)
        import random

        from sandbox.lms.seed.courses import seed_courses

        (course_key,) = seed_courses(1, args.blocks, random.Random(7))
        read = min(time_outline_read(course_key) for _ in range(3))
        times = [time_publish(client, course_key, args.blocks) for _ in range(args.repeat)]
    finally:
        server.stop()
    best, median = min(times), statistics.median(times)
    print(f"course publish, {args.blocks:,} blocks -> course_blocks ({args.repeat} runs)")
    worst = max(times)
    print(f"  best {best * 1e3:.0f} ms, median {median * 1e3:.0f} ms, worst {worst * 1e3:.0f} ms")
    print(f"  of which reading the outline from the sandbox store: {read * 1000:.0f} ms")
    print(
        f"  median / target ({TARGET_SECONDS:.0f} s): {median / TARGET_SECONDS:.2f} "
        f"({'met' if median < TARGET_SECONDS else 'MISSED'}); "
        f"{args.blocks / median:,.0f} blocks/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
