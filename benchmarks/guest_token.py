"""Latency of ``GET /aspects/superset_guest_token/<course>/`` through Django's test client.

In-process on a fresh sandbox (``.sandbox/bench/guest_token.sqlite3``), no ClickHouse (sinks
off): a published course, a course staff member logged in, the default dashboards with three
locales. Each request runs the whole view: session, course lookup, role check, RLS, JWT
signing. Printed: p50/p95/p99 over ``--requests`` after a warm-up, for course staff (200) and
for a learner (403), and the signing alone.

    python -m benchmarks.guest_token [--requests 2000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time

from benchmarks._sandbox_django import setup_sandbox_django
from sandbox.lms.paths import add_to_sys_path

WARM_UP = 50
#: Benchmark-only signing values (never a deployment's).
SUPERSET = {
    "service_url": "http://127.0.0.1:8088/",
    "guest_token_jwt_secret": "benchmark-only-secret-0123456789abcdef0123",
    "guest_token_jwt_audience": "aspects",
}


def setup_django() -> None:
    """The sandbox settings on a fresh SQLite file, sinks off, tables migrated."""
    from django.test.utils import setup_test_environment

    setup_sandbox_django("guest_token.sqlite3", sinks_enabled=False)
    setup_test_environment()  # the test client's host name is allowed


def published_course():
    """A published course, built as Studio does."""
    from opaque_keys.edx.locator import CourseLocator
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import SignalHandler, modulestore

    key = CourseLocator("BenchX", "Tokens", "2026")
    store = modulestore()
    with SignalHandler.course_published.for_state(is_enabled=False):
        with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
            store.create_course(key.org, key.course, key.run, ModuleStoreEnum.UserID.test)
        store.publish(key.make_usage_key("course", "course"), ModuleStoreEnum.UserID.test)
    return key


def latencies(client, url: str, requests: int, status: int) -> list[float]:
    """Seconds per GET (after a warm-up), checking every answer's status."""
    timings = []
    for index in range(WARM_UP + requests):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != status:
            raise RuntimeError(f"{url} answered {response.status_code}, expected {status}")
        if index >= WARM_UP:
            timings.append(elapsed)
    return timings


def percentiles(timings: list[float]) -> str:
    """p50/p95/p99 in milliseconds."""
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1e3:.2f} ms, p95 {cuts[94] * 1e3:.2f} ms, p99 {cuts[98] * 1e3:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    """Time the endpoint and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.guest_token")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per case")
    args = parser.parse_args(argv)
    if args.requests < 20:
        parser.error("--requests must be >= 20 (p95 needs them)")
    add_to_sys_path()
    setup_django()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # one "Forbidden" per 403
    from aspects_platform.guest_tokens import mint_guest_token
    from common.djangoapps.student.roles import CourseStaffRole
    from django.contrib.auth.models import User
    from django.test import Client, override_settings
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    course_key = published_course()
    staff = User.objects.create(username="bench_staff", email="staff@example.com")
    CourseStaffRole(course_key).add_users(staff)
    learner = User.objects.create(username="bench_learner", email="learner@example.com")
    url = f"/aspects/superset_guest_token/{course_key}/"
    with override_settings(
        SUPERSET_CONFIG=SUPERSET, SUPERSET_DASHBOARD_LOCALES=["en", "fr", "es_419"]
    ):
        staff_client, learner_client = Client(), Client()
        staff_client.force_login(staff)
        learner_client.force_login(learner)
        allowed = latencies(staff_client, url, args.requests, 200)
        refused = latencies(learner_client, url, args.requests, 403)
        course = CourseOverview.get_from_id(course_key)
        signing = []
        for _ in range(args.requests):
            started = time.perf_counter()
            mint_guest_token(staff, course, course_key)
            signing.append(time.perf_counter() - started)
    print(f"guest-token endpoint, {args.requests:,} requests each (Django test client, SQLite)")
    print(f"  course staff (200): {percentiles(allowed)}")
    print(f"  learner (403):      {percentiles(refused)}")
    print(f"  signing alone:      {percentiles(signing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
