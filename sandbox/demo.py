"""``make demo``: the whole path on a laptop, from an empty sandbox to counts read back.

Starts a private embedded ClickHouse (fresh data under ``.sandbox/demo/``, a free port, so a
server started with ``make sandbox-up`` is left alone), applies the schema, seeds the sandbox
LMS, publishes a course, enrolls learners, runs ``dump_data_to_clickhouse`` for every object,
prints per-table counts (sandbox vs ClickHouse), runs a short load test through ERB and a real
Ralph (report and plot path printed), stops the servers, then runs the Tutor render demo when
present. Exits 1 on any mismatch or lost event.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path

from sandbox.lms.paths import REPO_ROOT, add_to_sys_path

DEMO_DIR = Path(os.environ.get("ASPECTS_SANDBOX_DEMO_DIR", REPO_ROOT / ".sandbox" / "demo"))
USERS = 200
COURSES = 3
BLOCKS_PER_COURSE = 120
LIVE_ENROLLMENTS = 25
LOAD_TEST_EVENTS = 200
DUMPED_OBJECTS = ("course_overviews", "user_profile", "external_id", "course_enrollment")


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def _start_clickhouse(home: Path):
    from sandbox.clickhouse_server.process import EmbeddedClickHouse, free_port

    server = EmbeddedClickHouse(home, port=free_port())
    server.start()
    return server


def _apply_schema(server) -> None:
    from aspects_platform.clickhouse.connection import connect
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import SchemaSettings

    client = connect(server.url, server.username, server.password)
    applied = apply_migrations(client, SchemaSettings())
    print(f"    {len(applied)} migrations applied")


def _configure_django(server, sandbox_dir: Path) -> None:
    os.environ["ASPECTS_SANDBOX_DIR"] = str(sandbox_dir)
    os.environ["ASPECTS_SANDBOX_DB"] = str(sandbox_dir / "lms.sqlite3")
    os.environ["ASPECTS_SANDBOX_CLICKHOUSE_URL"] = server.url
    os.environ["ASPECTS_SANDBOX_CLICKHOUSE_USER"] = server.username
    os.environ["ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD"] = server.password
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.lms.settings")
    import django

    django.setup()


def _publish_and_enroll() -> None:
    from common.djangoapps.student.models import CourseEnrollment
    from django.contrib.auth.models import User
    from opaque_keys.edx.keys import CourseKey
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import modulestore

    first = CourseKey.from_string("course-v1:SandboxX+C0001+2026")
    store = modulestore()
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, first):
        store.publish(first.make_usage_key("course", "course"), ModuleStoreEnum.UserID.test)
    print(f"    published {first}")
    learners = User.objects.exclude(courseenrollment__course_id=first).order_by("id")
    for user in learners[:LIVE_ENROLLMENTS]:
        CourseEnrollment.enroll(user, first, mode="verified")
    print(f"    enrolled {LIVE_ENROLLMENTS} learners in {first} (COURSE_ENROLLMENT_CHANGED)")


def _report(server) -> bool:
    from aspects_platform.clickhouse.connection import connect
    from django.conf import settings

    from sandbox.lms.counts import count_tables, format_counts

    database = settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG["database"]
    client = connect(server.url, server.username, server.password)
    counts = count_tables(client, database)
    print(format_counts(counts))
    print("    clickhouse = distinct objects; rows = all rows (publishes and dumps append history)")
    return all(c.ok for c in counts)


def _load_test(server) -> bool:
    """A short load test through the real pipeline: tracking events -> ERB -> Ralph -> ClickHouse.

    Prints the report and the plot's path; skipped (True) without edx-event-routing-backends.
    """
    from sandbox.lms import xapi_settings

    if not xapi_settings.available():
        print("    skipped: edx-event-routing-backends is not installed")
        return True
    from sandbox.lms.xapi_router import configure_router
    from sandbox.load_test_run import monitored_load_test
    from sandbox.ralph.cli import CLICKHOUSE_USER
    from sandbox.ralph.process import ClickHouseLogin, RalphServer

    _step("starting Ralph (xAPI LRS; its virtualenv .venv-ralph is made on first use)")
    login = ClickHouseLogin(server.url, CLICKHOUSE_USER, server.service_password(CLICKHOUSE_USER))
    ralph = RalphServer(DEMO_DIR / "ralph", login).start()
    try:
        configure_router(ralph.route_url, ralph.lms_username, ralph.lms_password)
        _step(f"load test: {LOAD_TEST_EVENTS} tracking events -> ERB -> Ralph -> ClickHouse")
        report = monitored_load_test(
            DEMO_DIR / "load-test",
            num_users=5,
            num_events=LOAD_TEST_EVENTS,
            sleep_time=0,
            tags="demo",
        )
    finally:
        ralph.stop()
    print("\n".join(f"    {line}" for line in report.splitlines()))
    return "lost:            0 (0.0 %)" in report


def run_demo() -> bool:
    """Run every step; True when ClickHouse matches the sandbox."""
    from django.core.management import call_command

    started = time.perf_counter()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    _step("starting the embedded ClickHouse")
    server = _start_clickhouse(DEMO_DIR / "clickhouse")
    try:
        print(f"    up at {server.url} (data in {os.path.relpath(DEMO_DIR)})")
        _step("applying the ClickHouse schema")
        _apply_schema(server)
        _step("creating and seeding the sandbox LMS")
        _configure_django(server, DEMO_DIR)
        call_command("migrate", verbosity=0, interactive=False)
        call_command(
            "seed_sandbox",
            users=USERS,
            courses=COURSES,
            blocks_per_course=BLOCKS_PER_COURSE,
            enrollments_per_user=1,
        )
        _step("publishing a course and enrolling learners (signals -> sinks)")
        _publish_and_enroll()
        for name in DUMPED_OBJECTS:
            _step(f"dump_data_to_clickhouse --object {name}")
            call_command("dump_data_to_clickhouse", object=name)
        _step("counts: sandbox LMS vs ClickHouse")
        ok = _report(server)
        ok = _load_test(server) and ok
    finally:
        _step("stopping the embedded ClickHouse")
        server.stop()
    print(f"demo {'OK' if ok else 'FAILED: counts differ'} in {time.perf_counter() - started:.1f}s")
    return ok


def _run_tutor_render_demo() -> None:
    if importlib.util.find_spec("sandbox.tutor_render_demo") is None:
        return
    from sandbox import tutor_render_demo

    _step("Tutor render demo")
    tutor_render_demo.main()


def main() -> int:
    """``python -m sandbox.demo``; exit status 0 when every count matches."""
    add_to_sys_path()
    ok = run_demo()
    _run_tutor_render_demo()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
