"""xAPI pipeline: events/s and lag p95 through ERB -> Ralph -> ClickHouse vs ERB's own ceiling.

``python -m benchmarks.xapi_pipeline [--events 10000]``. In one run, on a fresh embedded
ClickHouse and a real Ralph:

1. ERB's transform-only ceiling: the same mix of tracking events the load test emits, captured,
   then transformed by ERB's ``XApiProcessor`` alone (no batching, no HTTP, no ClickHouse).
2. sync batched (the sandbox default), pipeline only: the captured events sent again through
   the tracker's ERB router while the load-test monitor samples (its report's figures): once
   with ERB's own ``SyncEventsRouter`` (transform, then post and wait), once with the sandbox's
   ``PipelinedSyncEventsRouter`` (the post of batch k overlaps the transform of batch k+1).
3. sync batched, whole load test: ``load_test_tracking_events`` with its monitor (generating
   the events costs too: enrollments write the database and fire the sinks).
4. Celery worker mode (when ``redis-server`` is installed): the whole load test, real worker.

Prints each mode's events/s, lag p95 and its share of the ceiling (target: >= 60 % batched).
A replay's events/s is its own clock: from the first event sent to the moment the xAPI table
holds every row (polled every 10 ms); the monitor's report figure, printed beside it, also
counts the monitor's attach to the run and up to one sampling period at the end.
For each replay it also prints the CPU time per event of the LMS (this process), the embedded
ClickHouse and Ralph, and what that allows on this machine's cores: when the pipeline needs more
CPU per event than ``cores / (0.6 x ceiling)``, 60 % cannot be reached here however the work
overlaps. The pipelined replay runs again with ERB batches of ``--larger-batch`` events (a
config value: ``ASPECTS_EVENT_ROUTING_BATCH_SIZE``; ClickHouse's cost is mostly per insert).
``--skip-load-tests`` leaves out 3 and 4 (the ceiling and the replays only).
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

TARGET_SHARE = 0.60


def _setup(home: Path):
    """Embedded ClickHouse + schema + Ralph + the sandbox LMS routed to it; (server, ralph)."""
    from aspects_platform.clickhouse.connection import connect
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import SchemaSettings

    from sandbox.clickhouse_server.process import EmbeddedClickHouse, free_port
    from sandbox.ralph.cli import CLICKHOUSE_USER
    from sandbox.ralph.process import ClickHouseLogin, RalphServer

    server = EmbeddedClickHouse(home / "clickhouse", port=free_port()).start()
    apply_migrations(connect(server.url, server.username, server.password), SchemaSettings())
    login = ClickHouseLogin(server.url, CLICKHOUSE_USER, server.service_password(CLICKHOUSE_USER))
    ralph = RalphServer(home / "ralph", login).start()
    os.environ.update(
        ASPECTS_SANDBOX_DIR=str(home),
        ASPECTS_SANDBOX_DB=str(home / "lms.sqlite3"),
        ASPECTS_SANDBOX_CLICKHOUSE_URL=server.url,
        ASPECTS_SANDBOX_CLICKHOUSE_USER=server.username,
        ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD=server.password,
        DJANGO_SETTINGS_MODULE="sandbox.lms.settings",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from sandbox.lms.xapi_router import configure_router

    configure_router(ralph.route_url, ralph.lms_username, ralph.lms_password)
    return server, ralph


#: The processes whose CPU time a replay adds up (a word of the command line -> label).
PROCESSES = {"clickhouse_server": "ClickHouse", "uvicorn": "Ralph"}


@dataclass
class CpuPerEvent:
    """CPU time per event (ms) of each process of the pipeline during one replay."""

    by_process: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.by_process.values())

    def line(self, ceiling: float) -> str:
        """The figures, and the events/s and share of the ceiling this machine's cores allow."""
        cores = psutil.cpu_count() or 1
        bound = cores * 1000.0 / self.total if self.total else float("inf")
        parts = ", ".join(f"{name} {ms:.3f}" for name, ms in self.by_process.items())
        return (
            f"{'':<30} CPU ms/event: {parts}; total {self.total:.3f} on {cores} cores "
            f"-> at most {bound:.0f} events/s ({bound / ceiling:.0%} of the ceiling)"
        )


@dataclass
class Replay:
    """One replay: the monitor's report, the CPU it cost, and the pipeline's own clock."""

    report: object  # aspects_platform.load_test.report.Report
    cpu: CpuPerEvent
    #: events / seconds from the first event sent to the last row stored (the report's
    #: throughput also counts the monitor's attach and its sampling period).
    events_per_s: float

    def line(self, name: str, ceiling: float) -> str:
        report = self.report
        p95 = "n/a" if report.lag_p95_s is None else f"{report.lag_p95_s:.2f} s"
        return (
            f"{name:<30} {self.events_per_s:8.1f} events/s  lag p95 {p95:>8}  "
            f"{self.events_per_s / ceiling:6.1%} of ceiling  ({report.arrived}/{report.sent} "
            f"arrived; the monitor's report: {report.throughput_eps or 0.0:.1f} events/s)"
        )


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of this process (the LMS) and of the pipeline's other processes."""
    me = psutil.Process()
    seconds = {"LMS": sum(me.cpu_times()[:2])}
    for child in me.children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            for word, label in PROCESSES.items():
                if word in command:
                    seconds[label] = seconds.get(label, 0.0) + sum(child.cpu_times()[:2])
        except psutil.Error:
            continue
    return seconds


def _xapi_table() -> str:
    from aspects_platform.clickhouse.identifiers import quote_identifier
    from aspects_platform.clickhouse.schema import SchemaSettings

    schema = SchemaSettings()
    return f"{quote_identifier(schema.xapi_database)}.{quote_identifier(schema.xapi_table)}"


def _client():
    """A client of the benchmark's own embedded ClickHouse (the sandbox LMS's login)."""
    from aspects_platform.clickhouse.connection import connect

    env = os.environ
    return connect(
        env["ASPECTS_SANDBOX_CLICKHOUSE_URL"],
        env["ASPECTS_SANDBOX_CLICKHOUSE_USER"],
        env["ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD"],
    )


def empty_xapi_table() -> None:
    """TRUNCATE the xAPI table (the benchmark's own embedded ClickHouse)."""
    client = _client()
    try:
        client.command(f"TRUNCATE TABLE {_xapi_table()}")
    finally:
        client.close()


def wait_for_rows(count: int, timeout: float = 600.0) -> float:
    """``perf_counter()`` when the (emptied) xAPI table first holds ``count`` rows, polled
    every 10 ms: the end of the pipeline's clock, without the monitor's sampling period."""
    client, deadline = _client(), time.perf_counter() + timeout
    statement = f"SELECT count() FROM {_xapi_table()}"  # noqa: S608 - quoted identifiers
    try:
        while time.perf_counter() < deadline:
            if client.query(statement).result_rows[0][0] >= count:
                return time.perf_counter()
            time.sleep(0.01)
    finally:
        client.close()
    raise RuntimeError(f"the xAPI table did not reach {count} rows within {timeout:g} s")


def capture_events(count: int) -> list[dict]:
    """``count`` tracking events of the load-test mix, as the tracker hands them to backends."""
    from aspects_platform.load_test import events
    from aspects_platform.load_test.generator import create_course, create_learners
    from eventtracking import tracker

    blocks = create_course("BENCHCEIL", None)
    learners = create_learners("bc_", 10, blocks.course_key)
    captured: list[dict] = []

    class Capture:
        def send(self, event: dict) -> None:
            captured.append(event)

    real = tracker.get_tracker()
    backends = dict(real.backends)
    real.backends.clear()
    real.backends["capture"] = Capture()
    try:
        kinds = events.event_kinds()
        for index in range(count):
            events.EMITTERS[next(kinds)](learners[index % len(learners)], blocks)
    finally:
        real.backends.clear()
        real.backends.update(backends)
    return captured


def transform_ceiling(captured: list[dict]) -> float:
    """Events/s of ERB's XApiProcessor alone (no batching, no HTTP, no ClickHouse)."""
    from event_routing_backends.processors.xapi.transformer_processor import XApiProcessor

    processor = XApiProcessor()
    started = time.perf_counter()
    for event in captured:
        processor([event])
    return len(captured) / (time.perf_counter() - started)


def spawn_monitor(env: dict, output: Path) -> subprocess.Popen:
    """``monitor_load_test_tracking`` in its own process, as ``tutor local do load-test`` runs it
    beside the generator (not a thread competing with the emitting process for its GIL)."""
    return subprocess.Popen(
        [sys.executable, "sandbox/manage.py", "monitor_load_test_tracking", "--backend",
         "celery", "--sleep_time", "0.5", "--timeout", "600", "--output_dir", str(output)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def wait_until_monitoring(monitor: subprocess.Popen) -> None:
    """Block until the monitor says it waits for a run (its Django start-up is not timed)."""
    from aspects_platform.load_test.monitor import WAITING

    for line in monitor.stdout:
        if line.startswith(WAITING):
            return
    raise RuntimeError("the load-test monitor exited before it started waiting for a run")


def xapi_router():
    """The tracker's ERB router (the ``xapi`` backend of the routing backend)."""
    from aspects_platform.load_test.events import erb_routers

    (router,) = erb_routers()
    return router


def replay_with_erb_router(captured: list[dict], output: Path):
    """The replay through ERB's own SyncEventsRouter (post and wait inside ``send``)."""
    from event_routing_backends.backends.sync_events_router import SyncEventsRouter

    router = xapi_router()
    pipelined = router.__class__
    router.__class__ = SyncEventsRouter  # same state; only bulk_send differs
    try:
        return replay_batched(captured, output)
    finally:
        router.__class__ = pipelined


def replay_batched(captured: list[dict], output: Path):
    """The captured events sent again through the tracker's ERB router (sync, batched) while
    the load-test monitor samples: the pipeline alone, without generating the events."""
    import copy
    import uuid

    from aspects_platform.load_test.events import flush_pending_events
    from aspects_platform.load_test.report import load_report
    from aspects_platform.load_test.store import LoadTestStore, utc_now
    from eventtracking import tracker

    fresh = [copy.deepcopy(event) for event in captured]  # generating events is not timed
    store, run_id = LoadTestStore(), f"replay-{uuid.uuid4().hex[:8]}"
    monitor = spawn_monitor(dict(os.environ), output)
    try:
        wait_until_monitoring(monitor)
        store.record(run_id, "start", {"tags": ["replay"]})
        while not store.sample_count(run_id):
            if monitor.poll() is not None:
                raise RuntimeError("the load-test monitor exited before its first sample")
            time.sleep(0.05)
        routing = tracker.get_tracker().routing_backend
        before, started = cpu_seconds(), time.perf_counter()
        for event in fresh:
            event["timestamp"] = utc_now()
            routing.send(event)
        flush_pending_events()
        stored = wait_for_rows(len(captured))
        store.record(run_id, "end", {"sent_event_count": len(captured)})
        monitor.communicate()  # it stops once every event arrived
        after = cpu_seconds()
    finally:
        if monitor.poll() is None:
            monitor.terminate()
            monitor.wait(30)
    cpu = CpuPerEvent(
        {name: (after[name] - before.get(name, 0.0)) * 1000.0 / len(captured) for name in after}
    )
    return Replay(load_report(store, run_id), cpu, len(captured) / (stored - started))


def sync_batched(count: int, output: Path):
    """The whole load test in this process (sync batched), its monitor in its own process."""
    from aspects_platform.load_test.report import load_report
    from aspects_platform.load_test.store import LoadTestStore
    from django.core.management import call_command

    monitor = spawn_monitor(dict(os.environ), output)
    try:
        wait_until_monitoring(monitor)
        call_command(
            "load_test_tracking_events", "--num_users", "10", "--num_events", str(count),
            "--sleep_time", "0", "--tags", "sync", stdout=open(os.devnull, "w"),  # noqa: SIM115
        )  # fmt: skip
        monitor.communicate()
    finally:
        if monitor.poll() is None:
            monitor.terminate()
            monitor.wait(30)
    return load_report(LoadTestStore(), _newest_run("sync"))


def _newest_run(tag: str) -> str:
    from aspects_platform.load_test.store import LoadTestStore

    return (
        LoadTestStore()
        .client.query(
            "SELECT run_id FROM load_test_runs WHERE event_type = 'start' "
            "AND has(JSONExtract(extra, 'tags', 'Array(String)'), {tag:String}) "
            "ORDER BY timestamp DESC LIMIT 1",
            parameters={"tag": tag},
        )
        .result_rows[0][0]
    )


def celery_worker(count: int, home: Path, output: Path):
    """The same run with a real Celery worker on Debian's redis-server (None without it)."""
    from aspects_platform.load_test.report import load_report
    from aspects_platform.load_test.store import LoadTestStore

    from sandbox import redis_server

    if not redis_server.available():
        return None
    redis = redis_server.RedisServer(home / "redis").start()
    env = {
        **os.environ,
        "ASPECTS_SANDBOX_XAPI_MODE": "celery",
        "ASPECTS_SANDBOX_REDIS_URL": redis.url,
    }
    manage = [sys.executable, "sandbox/manage.py"]
    quiet = subprocess.DEVNULL
    spawn = {"cwd": REPO_ROOT, "env": env, "stdout": quiet, "stderr": quiet}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sandbox.lms.celery", "worker", "--pool", "solo",
         "-Q", "edx.lms.core.default", "--loglevel", "ERROR"], **spawn,
    )  # fmt: skip
    monitor = spawn_monitor(env, output)
    try:
        wait_until_monitoring(monitor)
        generator = subprocess.run(
            [*manage, "load_test_tracking_events", "--num_users", "10", "--num_events",
             str(count), "--sleep_time", "0", "--tags", "celery"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if generator.returncode:
            raise RuntimeError(f"the Celery-mode load test failed:\n{generator.stderr[-3000:]}")
        monitor.communicate()
    finally:
        for process in (monitor, worker):
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        redis.stop()
    return load_report(LoadTestStore(), _newest_run("celery"))


def _line(name: str, report, ceiling: float) -> str:
    if report is None:
        return f"{name:<30} skipped (redis-server is not installed)"
    rate = report.throughput_eps or 0.0
    p95 = "n/a" if report.lag_p95_s is None else f"{report.lag_p95_s:.2f} s"
    return (
        f"{name:<30} {rate:8.1f} events/s  lag p95 {p95:>8}  "
        f"{rate / ceiling:6.1%} of ceiling  ({report.arrived}/{report.sent} arrived)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.xapi_pipeline")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skip-load-tests", action="store_true", help="ceiling and replays only")
    parser.add_argument(
        "--larger-batch", type=int, default=500, help="ERB batch size of the last replay (500)"
    )
    args = parser.parse_args(argv)
    add_to_sys_path()
    with tempfile.TemporaryDirectory(prefix="aspects-xapi-bench-") as folder:
        home = Path(folder)
        server, ralph = _setup(home)
        from django.conf import settings
        from django.test import override_settings

        default_batch = settings.EVENT_ROUTING_BACKEND_BATCH_SIZE
        try:
            captured = capture_events(args.events)
            before = transform_ceiling(captured)
            # Each replay starts on an empty xAPI table: Ralph looks up every batch's ids in
            # it, so a fuller table would slow the later replay down.
            empty_xapi_table()
            erb_replayed = replay_with_erb_router(captured, home / "reports")
            empty_xapi_table()
            replayed = replay_batched(captured, home / "reports")
            empty_xapi_table()
            with override_settings(EVENT_ROUTING_BACKEND_BATCH_SIZE=args.larger_batch):
                larger = replay_batched(captured, home / "reports")
            after = transform_ceiling(captured)
            # Other work on the machine moves the ceiling: the higher of the two (before and
            # after the replays) is the stricter reference.
            ceiling = max(before, after)
            batched = worker = None
            if not args.skip_load_tests:
                batched = sync_batched(args.events, home / "reports")
                worker = celery_worker(args.events, home, home / "reports")
        finally:
            ralph.stop()
            server.stop()
    print(f"{args.events} events (load-test mix: enrollment, problem, video, navigation)")
    print(
        f"{'ERB transform only (ceiling)':<30} {ceiling:8.1f} events/s  "
        f"(before/after the replays: {before:.1f} / {after:.1f})"
    )
    for name, replay in (
        (f"sync batched, ERB's ({default_batch})", erb_replayed),
        (f"sync batched, pipelined ({default_batch})", replayed),
        (f"sync batched, pipelined ({args.larger_batch})", larger),
    ):
        print(replay.line(name, ceiling))
        print(replay.cpu.line(ceiling))
    if not args.skip_load_tests:
        print(_line("sync batched, load test", batched, ceiling))
        print(_line("Celery worker, load test", worker, ceiling))
    print("(load test = generating the events too: enrollments, sinks, modulestore reads)")
    for size, replay in ((default_batch, replayed), (args.larger_batch, larger)):
        share = replay.events_per_s / ceiling
        print(
            f"batched share of the ceiling, batches of {size}: {share:.0%} "
            f"(target >= {TARGET_SHARE:.0%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
