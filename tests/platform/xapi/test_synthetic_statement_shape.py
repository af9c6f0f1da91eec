"""The benchmark's synthetic statements have the shape of real ones (tracking -> ERB -> Ralph)."""

import json

import pytest
from aspects_platform.load_test import events
from aspects_platform.load_test.generator import create_course, create_learners

from sandbox import xapi_synthetic


def shape(value, path: str = "") -> set[tuple[str, str]]:
    """Every (JSON path, JSON type) in ``value``; list items share the path ``[]``."""
    if isinstance(value, dict):
        found = {(path, "object")}
        for key, item in value.items():
            found |= shape(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        found = {(path, "array")}
        for item in value:
            found |= shape(item, f"{path}[]")
        return found
    kinds = {bool: "boolean", int: "integer", float: "float", str: "string", type(None): "null"}
    return {(path, kinds[type(value)])}


def video(name: str, user, blocks, current_time: float) -> None:
    """A video player event as the browser sends it (edx-platform's video_player JS)."""
    data = {
        "id": blocks.video.block_id,
        "code": "html5",
        "currentTime": current_time,
        "duration": 60,
    }
    events._emit(name, data, events._context(user, blocks, "/event", "browser"))


def grade_events(user, blocks) -> None:
    """The course grade events edx-platform's grades app emits (lms/djangoapps/grades/events.py)."""
    context = events._context(user, blocks, f"/courses/{blocks.course_key}/progress", "server")
    common = {
        "user_id": user.id,
        "course_id": str(blocks.course_key),
        "event_transaction_id": "9f5e0b1a-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
        "event_transaction_type": "edx.grades.problem.submitted",
    }
    calculated = {
        **common,
        "percent_grade": 0.75,
        "letter_grade": "Pass",
        "course_edited_timestamp": "2026-03-01T00:00:00+00:00",
        "course_version": "",
        "grading_policy_hash": "abc=",
    }
    events._emit("edx.grades.course.grade_calculated", calculated, context)
    events._emit("edx.course.grade.passed.first_time", common, context)


def shapes_by_verb(statements) -> dict[str, set[frozenset]]:
    by_verb: dict[str, set[frozenset]] = {}
    for statement in statements:
        by_verb.setdefault(statement["verb"]["id"], set()).add(frozenset(shape(statement)))
    return by_verb


@pytest.mark.django_db(transaction=True)
def test_synthetic_statements_have_the_paths_and_types_of_real_ones(xapi_pipeline, xapi_ch):
    blocks = create_course("XSYN", None)
    (learner,) = create_learners("xs_", 1, blocks.course_key)  # registered
    events.problem_check(learner, blocks)
    events.load_video(learner, blocks)
    for name, at in (("play_video", 1.5), ("pause_video", 12.5), ("stop_video", 12.5)):
        video(name, learner, blocks, at)
    video("complete_video", learner, blocks, 60.0)
    events.next_selected(learner, blocks)
    grade_events(learner, blocks)
    events.toggle_enrollment(learner, blocks)  # unregistered
    events.flush_pending_events()
    real = [
        json.loads(row[0])
        for row in xapi_ch.query("SELECT event FROM `xapi_events_all` FINAL").result_rows
    ]
    sizes = xapi_synthetic.Sizes(events=600, learners=20, courses=5)
    synthetic = [
        json.loads(row[0])
        for row in xapi_ch.query(
            f"SELECT event FROM ({xapi_synthetic.statements_select()})",  # noqa: S608
            parameters=sizes.parameters(),
        ).result_rows
    ]

    real_shapes, synthetic_shapes = shapes_by_verb(real), shapes_by_verb(synthetic)
    assert sorted(real_shapes) == sorted(xapi_synthetic.VERBS.values())
    for verb, shapes in real_shapes.items():
        assert synthetic_shapes.get(verb) == shapes, verb
