"""``seed_sandbox``: bulk-create learners, courses with outlines, and enrollments."""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.lms.seed.courses import seed_courses
from sandbox.lms.seed.enrollments import seed_enrollments
from sandbox.lms.seed.people import seed_learners

MAX_BLOCKS_PER_COURSE = 100_000


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


PROGRESS_EVERY = 100_000


class Command(BaseCommand):
    """Add data to the sandbox LMS (additive: ids continue after what exists)."""

    help = (
        "Bulk-create sandbox learners (user + profile + xAPI external id), courses with an "
        "outline (chapters > sequentials > verticals > problem/video/html, plus about/"
        "course_info/static_tab) and enrollments. No signal is sent: nothing reaches "
        "ClickHouse until a publish, an enrollment or dump_data_to_clickhouse."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=_non_negative, default=0, help="learners to create")
        parser.add_argument("--courses", type=_non_negative, default=0, help="courses to create")
        parser.add_argument(
            "--blocks-per-course",
            type=_non_negative,
            default=50,
            help="blocks per course, course block included (default 50)",
        )
        parser.add_argument(
            "--enrollments-per-user",
            type=_non_negative,
            default=1,
            help="distinct courses each new learner joins (default 1; capped by courses)",
        )
        parser.add_argument(
            "--no-external-ids", action="store_true", help="skip the xAPI external ids"
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    def handle(self, *args, **options) -> None:
        users, courses = options["users"], options["courses"]
        blocks = options["blocks_per_course"]
        if courses and not 1 <= blocks <= MAX_BLOCKS_PER_COURSE:
            raise CommandError(
                f"--blocks-per-course must be between 1 and {MAX_BLOCKS_PER_COURSE}, got {blocks}"
            )
        rng = random.Random(options["seed"])
        started = time.perf_counter()
        course_keys = seed_courses(courses, blocks, rng) if courses else []
        user_ids = seed_learners(
            users, rng, with_external_ids=not options["no_external_ids"],
            progress=self._progress(users),
        )  # fmt: skip
        enrollments = 0
        if course_keys and options["enrollments_per_user"]:
            enrollments = seed_enrollments(
                user_ids, course_keys, options["enrollments_per_user"], rng
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {len(user_ids)} learners, {len(course_keys)} courses x {blocks} blocks, "
            f"{enrollments} enrollments in {elapsed:.1f}s"
        )

    def _progress(self, total: int):
        """A callback printing ``learners: done/total`` on stderr every PROGRESS_EVERY rows."""
        done = 0

        def report(count: int) -> None:
            nonlocal done
            before, done = done, done + count
            if total >= PROGRESS_EVERY and done // PROGRESS_EVERY > before // PROGRESS_EVERY:
                self.stderr.write(f"learners: {done:,}/{total:,}")

        return report
