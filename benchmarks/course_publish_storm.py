"""A publish storm: 100 COURSE_PUBLISHED signals of one 1,000-block course within 10 s.

Each signal comes from a real Studio edit (a section rename with ``update_item``, which the
store publishes at once). Tasks go to an in-process Celery worker (memory broker), as in
production; the sink waits ``EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS`` (its default)
before the one pending dump runs. Prints the signals sent, tasks enqueued, ClickHouse writes
and the rows stored for the course (raw and after FINAL), next to one write per signal.

    python -m benchmarks.course_publish_storm [--blocks 1000] [--signals 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from benchmarks.course_publish import BENCH_DIR, setup_django
from sandbox.lms.paths import add_to_sys_path

TASK = "aspects_platform.tasks.dump_course_to_clickhouse"


def storm(course_key, signals: int, seconds: float) -> float:
    """Rename a section ``signals`` times, paced over ``seconds``; returns the elapsed time."""
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import modulestore

    store = modulestore()
    chapter = course_key.make_usage_key("chapter", "chapter_1")
    started = time.perf_counter()
    for number in range(signals):
        with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, course_key):
            block = store.get_item(chapter)
            block.display_name = f"Week 1 (edit {number + 1})"
            store.update_item(block, ModuleStoreEnum.UserID.test)
        pause = started + seconds * (number + 1) / signals - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    return time.perf_counter() - started


def rows_stored(client, course_key: str, final: bool) -> int:
    """Rows of the course in ``event_sink.course_blocks`` (after FINAL when ``final``)."""
    sql = "SELECT count() FROM `event_sink`.`course_blocks` {} WHERE course_key = {{k:String}}"
    result = client.query(sql.format("FINAL" if final else ""), parameters={"k": course_key})
    return int(result.result_rows[0][0])


def main(argv: list[str] | None = None) -> int:
    """Seed the course, run the storm against a worker, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.course_publish_storm")
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--signals", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.blocks < 8 or args.signals < 1 or args.seconds <= 0:
        parser.error("--blocks must be >= 8, --signals >= 1 and --seconds > 0")
    add_to_sys_path()
    from benchmarks.dump_user_profile import start_server

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server, client = start_server()
    try:
        setup_django(server, "storm.sqlite3")
        from celery.contrib.testing.worker import start_worker
        from celery.signals import before_task_publish, task_postrun
        from django.conf import settings

        from sandbox.lms.celery import APP
        from sandbox.lms.seed.courses import seed_courses

        (course_key,) = seed_courses(1, args.blocks, random.Random(7))
        for table in ("course_blocks", "course_overviews"):  # the server's data is kept
            client.command(f"TRUNCATE TABLE IF EXISTS `event_sink`.`{table}`")
        enqueued, results = [], []
        before_task_publish.connect(lambda sender=None, **kw: enqueued.append(sender), weak=False)
        task_postrun.connect(
            lambda sender=None, retval=None, **kw: (
                results.append(retval) if sender is not None and sender.name == TASK else None
            ),
            weak=False,
        )
        delay = float(settings.EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS)
        APP.conf.task_always_eager = False
        with start_worker(APP, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            elapsed = storm(course_key, args.signals, args.seconds)
            deadline = time.monotonic() + delay + 120
            while len(results) < enqueued.count(TASK) and time.monotonic() < deadline:
                time.sleep(0.1)
        raw, final = (rows_stored(client, str(course_key), final) for final in (False, True))
    finally:
        server.stop()
    writes = sum(1 for r in results if str(r).startswith("dumped"))
    print(
        f"publish storm: {args.signals} COURSE_PUBLISHED of one {args.blocks:,}-block course "
        f"in {elapsed:.1f}s (dump delay {delay:.0f}s)"
    )
    print(f"  tasks enqueued: {enqueued.count(TASK)}, ClickHouse writes of the course: {writes}")
    print(f"  course_blocks rows stored: {raw:,} (after FINAL: {final:,})")
    print(
        f"  one write per signal would have been {args.signals} writes, "
        f"{args.signals * args.blocks:,} rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
