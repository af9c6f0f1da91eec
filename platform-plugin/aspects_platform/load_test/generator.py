"""``LoadTest``: a test course, learners, then tracking events until done or interrupted."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings

from aspects_platform.load_test import backlogs, events
from aspects_platform.load_test.store import LoadTestStore, utc_now

log = logging.getLogger(__name__)
ORG = "OEX"
#: How long a run waits after its start row for a monitor to attach (none may be running).
MONITOR_GRACE_SECS = 5.0
#: How long the end row is retried while ClickHouse does not answer.
END_ROW_WAIT_SECS = 120.0


@dataclass(frozen=True)
class LoadTestOptions:
    """The generator's flags (``load_test_tracking_events``)."""

    num_users: int = 10
    username_prefix: str = "lt_"
    num_events: int = 10
    run_until_killed: bool = False
    sleep_time: float = 0.75
    tags: list[str] = field(default_factory=list)


def create_course(short_name: str, user_id: int | None = None) -> events.CourseBlocks:
    """A published course with a problem and a video, through the modulestore API."""
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import modulestore

    store = modulestore()
    user_id = ModuleStoreEnum.UserID.mgmt_command if user_id is None else user_id
    name = f"Load test {short_name}"
    course = store.create_course(ORG, short_name, "LT", user_id, fields={"display_name": name})
    parent = course.location
    created = {}
    for block_type in ("chapter", "sequential", "vertical"):
        block = store.create_child(user_id, parent, block_type, fields={"display_name": block_type})
        created[block_type] = parent = block.location
    for block_type in ("problem", "video"):
        block = store.create_child(user_id, parent, block_type, fields={"display_name": block_type})
        created[block_type] = block.location
    store.publish(course.location, user_id)
    return events.CourseBlocks(
        course.id, created["sequential"], created["problem"], created["video"]
    )


def create_learners(prefix: str, count: int, course_key) -> list:
    """``count`` active users with profiles, each enrolled in the course."""
    from django.contrib.auth.models import User

    from aspects_platform.sinks.base import get_model

    profile_model = get_model("user_profile")
    enrollment_model = get_model("course_enrollment")
    learners = []
    for _ in range(count):
        short = uuid.uuid4().hex[:8]
        user = User.objects.create_user(
            username=f"{prefix}{short}", email=f"{prefix}{short}@example.com", is_active=True
        )
        profile_model.objects.create(user=user, name=f"Learner {short}")
        enrollment_model.enroll(user, course_key)
        learners.append(user)
    return learners


class LoadTest:
    """One run: ``start`` row, events, pending batch flushed, ``end`` row (also on Ctrl-C)."""

    def __init__(
        self,
        options: LoadTestOptions,
        store: LoadTestStore,
        out: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.options = options
        self.store = store
        self.out = out
        self.sleep = sleep
        self.run_id = uuid.uuid4().hex[:12]
        self.sent = 0
        self.blocks: events.CourseBlocks | None = None
        self.learners: list = []
        self.dead_queue_at_start: int | None = None

    def setup(self) -> None:
        """Course and learners; their own events are flushed before the run starts."""
        self.blocks = create_course(f"LT{self.run_id[:6]}", None)
        self.learners = create_learners(
            self.options.username_prefix, self.options.num_users, self.blocks.course_key
        )
        events.flush_pending_events()

    def start(self) -> None:
        self.dead_queue_at_start = events.dead_queue_length()
        extra = {
            "tags": self.options.tags,
            "course_id": str(self.blocks.course_key),
            "parameters": asdict(self.options),
        }
        self.store.record(self.run_id, "start", extra)
        self.out(f"load test {self.run_id} started: {extra['course_id']}, tags {self.options.tags}")

    def wait_for_monitor(self, poll: float = 0.1) -> bool:
        """Give a monitor started beside us time to attach (its first sample), as the seed's
        5 s pause does, but no longer than needed; True when one attached."""
        deadline = time.monotonic() + MONITOR_GRACE_SECS
        while time.monotonic() < deadline:
            if self.store.sample_count(self.run_id):
                return True
            self.sleep(poll)
        return False

    def emit_events(self) -> None:
        kinds = events.event_kinds()
        learners = self.learners
        while self.options.run_until_killed or self.sent < self.options.num_events:
            kind = next(kinds)
            events.EMITTERS[kind](learners[self.sent % len(learners)], self.blocks)
            self.sent += 1
            if self.options.sleep_time:
                self.sleep(self.options.sleep_time)

    def finish(self, interrupted: bool) -> None:
        # With Celery workers, events reach ERB's batch only when their task ran: wait for the
        # queue to empty first, or the last batch would wait for a later event.
        waited = events.wait_for_queue(sleep=self.sleep)
        if waited:
            self.out(f"waited {waited:.1f} s for the Celery queue before sending ERB's batch")
        # With the Redis event bus, ERB's batch grows in the consumer as it reads the stream.
        if getattr(settings, "SEND_TRACKING_EVENT_EMITTED_SIGNAL", False):
            waited = events.wait_for_queue(sleep=self.sleep, reader=backlogs.redis_bus)
            if waited:
                self.out(f"waited {waited:.1f} s for the event bus before sending ERB's batch")
        flushed = events.flush_pending_events()
        extra = {
            "sent_event_count": self.sent,
            "interrupted": interrupted,
            "flushed": flushed,
            "kept_for_retry": self.kept_for_retry(),
        }
        self.record_end(extra)
        how = "interrupted" if interrupted else "finished"
        self.out(f"load test {self.run_id} {how}: {self.sent} events sent")

    def record_end(self, extra: dict) -> None:
        """The end row, stamped now; while ClickHouse does not answer, retried every second
        for up to END_ROW_WAIT_SECS, then printed in full (nothing lost) and the error raised."""
        ended = utc_now()
        deadline = time.monotonic() + END_ROW_WAIT_SECS
        said = False
        while True:
            try:
                self.store.record(self.run_id, "end", extra, when=ended)
                return
            except Exception as error:
                if time.monotonic() >= deadline:
                    self.out(
                        f"ClickHouse unreachable: the end row of {self.run_id} was not stored: "
                        f"{json.dumps({'timestamp': ended.isoformat(), **extra})}"
                    )
                    raise
                if not said:
                    self.out(
                        f"ClickHouse unreachable ({type(error).__name__}): retrying the end row"
                    )
                    said = True
            self.sleep(1.0)

    def kept_for_retry(self) -> int | None:
        """Events of this run ERB failed to send (e.g. Ralph was down) and kept in its dead
        queue; None when ERB does not batch (it drops failed events)."""
        now = events.dead_queue_length()
        if now is None or self.dead_queue_at_start is None:
            return None
        return max(now - self.dead_queue_at_start, 0)

    def run(self) -> int:
        """Set up, start, emit; the end row is written whatever happens after the start."""
        self.setup()
        interrupted = False
        try:  # a Ctrl-C right after the start row still gets its end row
            self.start()
            self.wait_for_monitor()
            self.emit_events()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self.finish(interrupted)
        return self.sent
