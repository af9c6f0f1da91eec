"""Tracking events the load test emits, and ERB's pending batch.

Events go through the platform's own tracker (``eventtracking.tracker``), with the context
edx-platform gives them: enrollment toggles through ``CourseEnrollment`` (which emits
``edx.course.enrollment.activated/deactivated`` itself), a server ``problem_check`` as the
capa runtime publishes it, and the browser's ``load_video``, ``play_video`` and
``edx.ui.lms.sequence.next_selected`` as ``track.views.user_track`` forwards them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import cycle

from django.conf import settings

log = logging.getLogger(__name__)

#: The kinds of event one load test cycles through (one tracking event each).
EVENT_KINDS = ("enrollment", "problem_check", "load_video", "play_video", "next_selected")


@dataclass(frozen=True)
class CourseBlocks:
    """The test course and the blocks its events refer to."""

    course_key: object
    sequential: object
    problem: object
    video: object


def tracker():
    """The process-wide tracker of event-tracking (``None`` when it is not installed)."""
    try:
        from eventtracking import tracker as module
    except ImportError:
        return None
    return module


def _lms_url(path: str) -> str:
    return f"{getattr(settings, 'LMS_ROOT_URL', 'http://localhost')}{path}"


def _context(user, blocks: CourseBlocks, path: str, source: str) -> dict:
    """The tracking context edx-platform's middleware and course context give an event."""
    course_key = blocks.course_key
    page = _lms_url(f"/courses/{course_key}/courseware")
    return {
        "course_id": str(course_key),
        "org_id": course_key.org,
        "enterprise_uuid": "",
        "user_id": user.id,
        "username": user.username,
        "path": path,
        "host": "localhost",
        "referer": page,
        "page": page,
        "ip": "127.0.0.1",
        "agent": "aspects-load-test",
        "session": "",
        "event_source": source,
    }


def _emit(name: str, data, context: dict) -> None:
    module = tracker()
    if module is None:
        raise RuntimeError("event-tracking is not installed: no tracking event can be sent")
    with module.get_tracker().context(name, context):
        module.emit(name, data)


def problem_check(user, blocks: CourseBlocks) -> None:
    """A graded answer, as the capa block publishes it (server event, one answer)."""
    problem = str(blocks.problem)
    answer_id = f"{blocks.problem.block_id}_2_1"
    data = {
        "problem_id": problem,
        "answers": {answer_id: "choice_1"},
        "attempts": 1,
        "correct_map": {answer_id: {"correctness": "correct", "npoints": None}},
        "grade": 1,
        "max_grade": 1,
        "success": "correct",
        "state": {"student_answers": {}, "done": None},
        "submission": {
            answer_id: {
                "question": "Which one?",
                "answer": "choice 1",
                "response_type": "multiplechoiceresponse",
                "input_type": "choicegroup",
                "correct": True,
                "variant": "",
                "group_label": "",
            }
        },
    }
    context = _context(user, blocks, f"/courses/{blocks.course_key}/xblock/{problem}", "server")
    context["module"] = {"display_name": "Load test problem", "usage_key": problem}
    _emit("problem_check", data, context)


def _browser(name: str, user, blocks: CourseBlocks, data: dict) -> None:
    """A browser event as ``track.views.user_track`` forwards it (its JSON data parsed)."""
    _emit(name, data, _context(user, blocks, "/event", "browser"))


def load_video(user, blocks: CourseBlocks) -> None:
    video = blocks.video
    _browser("load_video", user, blocks, {"id": video.block_id, "code": "html5", "duration": 60})


def play_video(user, blocks: CourseBlocks) -> None:
    video = blocks.video
    data = {"id": video.block_id, "code": "html5", "currentTime": 1.5, "duration": 60}
    _browser("play_video", user, blocks, data)


def next_selected(user, blocks: CourseBlocks) -> None:
    data = {"id": str(blocks.sequential), "current_tab": 1, "tab_count": 2, "target_tab": 2}
    _browser("edx.ui.lms.sequence.next_selected", user, blocks, data)


def toggle_enrollment(user, blocks: CourseBlocks) -> None:
    """Unenroll an active learner, enroll an inactive one (as the seed's load test does)."""
    from aspects_platform.sinks.base import get_model

    enrollment_model = get_model("course_enrollment")
    if enrollment_model.is_enrolled(user, blocks.course_key):
        enrollment_model.unenroll(user, blocks.course_key)
    else:
        enrollment_model.enroll(user, blocks.course_key)


EMITTERS = {
    "enrollment": toggle_enrollment,
    "problem_check": problem_check,
    "load_video": load_video,
    "play_video": play_video,
    "next_selected": next_selected,
}


def event_kinds() -> Iterator[str]:
    """The kinds in a fixed rotation (every kind gets its share of a run)."""
    return cycle(EVENT_KINDS)


def erb_routers() -> Iterator:
    """ERB's event routers among the tracker's backends (nested routing backends walked)."""
    module = tracker()
    if module is None:
        return
    pending = list(module.get_tracker().backends.values())
    while pending:
        backend = pending.pop()
        pending.extend(getattr(backend, "backends", {}).values())
        if hasattr(backend, "queue_name") and hasattr(backend, "bulk_send"):
            yield backend


def wait_for_queue(
    timeout: float = 300.0,
    poll: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    stall: float = 30.0,
    reader: Callable[[], dict] | None = None,
) -> float:
    """Wait until the LMS/CMS Celery queues (or what ``reader`` measures, e.g. the Redis bus
    backlog) are empty; a no-op without a measurable queue.

    Stops early when the backlog has not shrunk for ``stall`` seconds: nothing consumes the
    queue (no worker, or tasks a killed worker left reserved), so waiting longer cannot help.
    Returns the seconds waited (0 when there was nothing to wait for).
    """
    from aspects_platform.load_test.backlogs import celery

    reader = reader or celery
    started = last_progress = clock()
    smallest = None
    while backlog := reader().get("backlog"):
        now = clock()
        if smallest is None or backlog < smallest:
            smallest, last_progress = backlog, now
        if now - started >= timeout or now - last_progress >= stall:
            log.warning("the queue still holds %s events: not waiting any longer", backlog)
            break
        sleep(poll)
    return clock() - started if clock() - started >= poll else 0.0


def flush_pending_events() -> int:
    """Send the events ERB still holds in its batch queue; the number sent.

    ERB has no timer: a batch smaller than ``EVENT_ROUTING_BACKEND_BATCH_SIZE`` waits for a
    later event. A failed send goes to ERB's dead queue, as ERB does itself.
    """
    if not getattr(settings, "EVENT_ROUTING_BACKEND_BATCHING_ENABLED", False):
        return 0
    from django_redis import get_redis_connection

    redis = get_redis_connection()
    flushed = 0
    for router in erb_routers():
        # A router that posts in the background (PipelinedSyncEventsRouter) counts its failures.
        failed_before = getattr(router, "failed_events", 0)
        batch = redis.rpop(router.queue_name, redis.llen(router.queue_name) or 1) or []
        if batch:
            try:
                router.bulk_send([json.loads(item.decode("utf-8")) for item in batch])
                flushed += len(batch)
            except Exception:  # noqa: BLE001 - as ERB: keep the events for recover_failed_events
                log.exception(
                    "Sending %d batched events failed: kept in %s", len(batch), router.dead_queue
                )
                redis.lpush(router.dead_queue, *batch)
        if hasattr(router, "flush"):
            router.flush()  # every batch handed to its sender is posted or in the dead queue
            flushed -= min(getattr(router, "failed_events", 0) - failed_before, len(batch))
    return flushed


def dead_queue_length() -> int | None:
    """Events ERB keeps in its dead queues (batches it failed to send; re-sent by
    ``manage.py lms recover_failed_events --transformer_type xapi``). None without batching,
    where ERB keeps nothing: a failed event is dropped and logged."""
    if not getattr(settings, "EVENT_ROUTING_BACKEND_BATCHING_ENABLED", False):
        return None
    from django_redis import get_redis_connection

    redis = get_redis_connection()
    return sum(int(redis.llen(router.dead_queue)) for router in erb_routers())
