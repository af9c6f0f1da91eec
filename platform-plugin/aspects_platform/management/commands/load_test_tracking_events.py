"""``load_test_tracking_events``: emit tracking events for a load test (never in production).

Example::

    ./manage.py lms load_test_tracking_events --num_users 10 --num_events 1000 --sleep_time 0 \
        --tags celery 1worker

Creates a test course and learners, writes a ``start`` row to ``load_test_runs``, emits
tracking events through the platform's tracker (enrollment toggles, problem, video and
navigation events), sends ERB's pending batch, and writes an ``end`` row with the number of
events sent, also when interrupted (Ctrl-C).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aspects_platform.load_test.events import tracker
from aspects_platform.load_test.generator import LoadTest, LoadTestOptions
from aspects_platform.load_test.store import LoadTestStore
from aspects_platform.management.arguments import non_negative_float, positive_int


class Command(BaseCommand):
    """Create a course and learners, then emit tracking events and record the run."""

    help = (
        "Emit test tracking events through the platform's tracker and record the run in "
        "ClickHouse (load_test_runs) for monitor_load_test_tracking. Not for production."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--num_users", type=positive_int, default=10, help="learners (>= 1)")
        parser.add_argument("--username_prefix", default="lt_", help="prefix of their usernames")
        parser.add_argument(
            "--num_events",
            type=positive_int,
            default=10,
            help="events to emit (>= 1); ignored with --run_until_killed",
        )
        parser.add_argument(
            "--run_until_killed", action="store_true", help="emit until interrupted (Ctrl-C)"
        )
        parser.add_argument(
            "--sleep_time",
            type=non_negative_float,
            default=0.75,
            help="seconds between events (>= 0)",
        )
        parser.add_argument("--tags", nargs="*", default=[], help="labels stored with the run")

    def handle(self, *args, **options) -> None:
        if tracker() is None:
            raise CommandError("event-tracking is not installed: no tracking event can be sent")
        if not options["username_prefix"]:
            raise CommandError("--username_prefix must not be empty")
        load_test = LoadTest(
            LoadTestOptions(
                num_users=options["num_users"],
                username_prefix=options["username_prefix"],
                num_events=options["num_events"],
                run_until_killed=options["run_until_killed"],
                sleep_time=options["sleep_time"],
                tags=list(options["tags"] or []),
            ),
            LoadTestStore(),
            out=self.stdout.write,
        )
        load_test.run()
