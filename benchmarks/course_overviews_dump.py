"""``dump_data_to_clickhouse --object course_overviews --force``: peak RSS at 100 and 500 courses.

A sandbox of 500 published courses (``.sandbox/bench/courses_500.sqlite3``, seeded once) is
dumped by a separate ``manage.py`` process against a private embedded ClickHouse, first limited
to 100 courses then all 500. The dump clears the platform's request cache between pages (split
keeps every structure it loads there); flat memory means the two peaks are close.

    python -m benchmarks.course_overviews_dump [--courses 100,500] [--blocks 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.dump_user_profile import (
    MANAGE,
    run_measured,
    sandbox_env,
    seeded_database,
    start_server,
)
from sandbox.lms.paths import add_to_sys_path

BATCH_SIZE = 20


def ensure_seeded(courses: int, blocks: int) -> Path:
    """The SQLite file with ``courses`` courses of ``blocks`` blocks, seeded the first time."""
    return seeded_database(
        f"courses_{courses}x{blocks}",
        f"{courses} courses x {blocks} blocks",
        ["--courses", str(courses), "--blocks-per-course", str(blocks)],
    )


def main(argv: list[str] | None = None) -> int:
    """Seed once, dump each size in its own process, print peak RSS and the growth."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.course_overviews_dump")
    parser.add_argument("--courses", default="100,500", help="comma-separated course counts")
    parser.add_argument("--blocks", type=int, default=200, help="blocks per course")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(size) for size in args.courses.split(",")})
    except ValueError:
        parser.error(f"--courses must be comma-separated integers, got {args.courses!r}")
    if sizes[0] < 1 or args.blocks < 8:
        parser.error("--courses must be >= 1 and --blocks >= 8")
    add_to_sys_path()
    db_file = ensure_seeded(sizes[-1], args.blocks)
    server, client = start_server()
    results = []
    try:
        for size in sizes:
            client.command("TRUNCATE TABLE IF EXISTS `event_sink`.`course_blocks`")
            command = [
                sys.executable, str(MANAGE), "dump_data_to_clickhouse", "--object",
                "course_overviews", "--force", "--limit", str(size), "--batch_size",
                str(BATCH_SIZE), "--sleep_time", "0",
            ]  # fmt: skip
            seconds, peak_mb, _ = run_measured(command, sandbox_env(db_file, server))
            rows = client.query("SELECT count() FROM `event_sink`.`course_blocks`").result_rows
            results.append((size, seconds, peak_mb, int(rows[0][0])))
    finally:
        server.stop()
    print(f"course_overviews --force dump, {args.blocks} blocks per course, batch {BATCH_SIZE}")
    print(f"{'courses':>8} {'seconds':>8} {'blocks written':>15} {'peak RSS':>9}")
    for size, seconds, peak_mb, rows in results:
        print(f"{size:>8} {seconds:>8.1f} {rows:>15,} {peak_mb:>7.0f}MB")
    if len(results) > 1:
        growth = results[-1][2] - results[0][2]
        print(f"  peak RSS growth {results[0][0]} -> {results[-1][0]} courses: {growth:+.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
