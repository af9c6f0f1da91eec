"""xAPI statements shaped exactly as edx-event-routing-backends 9.3.8 emits them.

Each builder mirrors one ERB transformer's output, as captured from the sandbox LMS
(``XApiProcessor`` on the load test's tracking events) or read in ERB's transformers
(``event_routing_backends/processors/xapi/event_transformers/``): grading_events
(``earned``), enrollment_events (``registered``, ``unregistered``, ``passed``/``failed``),
problem_interaction_events (``evaluated``), video_events, navigation_events.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

LMS = "http://localhost:8000"
VERSION = {
    "https://w3id.org/xapi/openedx/extension/transformer-version": "event-routing-backends@9.3.8"
}
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"


def _block(course_key: str, block_type: str, name: str) -> str:
    return f"block-v1:{course_key.removeprefix('course-v1:')}+type@{block_type}+block@{name}"


def block_key(course_key: str, block_type: str, name: str) -> str:
    """The usage key ERB puts in ``<LMS>/xblock/<usage key>``."""
    return _block(course_key, block_type, name)


def _statement(actor: str, verb: str, display: str, obj: dict, when: datetime, **extra) -> dict:
    statement = {
        "id": str(uuid.uuid4()),
        "version": "1.0.3",
        "actor": {"objectType": "Agent", "account": {"name": actor, "homePage": LMS}},
        "verb": {"id": verb, "display": {"en": display}},
        "object": obj,
        "timestamp": when.isoformat(),
        "context": {"extensions": dict(VERSION)},
    }
    statement.update(extra)
    return statement


def _in_course(statement: dict, course_key: str, course_name: str, **context_extensions) -> dict:
    statement["context"] = {
        "contextActivities": {
            "parent": [
                {
                    "id": f"{LMS}/course/{course_key}",
                    "objectType": "Activity",
                    "definition": {"name": {"en-US": course_name}, "type": COURSE_TYPE},
                }
            ]
        },
        "extensions": {**VERSION, **context_extensions},
    }
    return statement


def _course_object(course_key: str, course_name: str, **extensions) -> dict:
    definition = {"name": {"en": course_name}, "type": COURSE_TYPE}
    if extensions:
        definition["extensions"] = extensions
    return {"id": f"{LMS}/course/{course_key}", "objectType": "Activity", "definition": definition}


def registered(actor, course_key, course_name, mode, when) -> dict:
    obj = _course_object(
        course_key, course_name, **{"https://w3id.org/xapi/acrossx/extensions/type": mode}
    )
    return _statement(actor, "http://adlnet.gov/expapi/verbs/registered", "registered", obj, when)


def unregistered(actor, course_key, course_name, mode, when) -> dict:
    obj = _course_object(
        course_key, course_name, **{"https://w3id.org/xapi/acrossx/extensions/type": mode}
    )
    return _statement(actor, "http://id.tincanapi.com/verb/unregistered", "unregistered", obj, when)


def evaluated(actor, course_key, course_name, problem, success, score, attempt, when) -> dict:
    obj = {
        "id": f"{LMS}/xblock/{problem}",
        "objectType": "Activity",
        "definition": {
            "description": {"en-US": "Which one?"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "interactionType": "choice",
            "extensions": {"http://id.tincanapi.com/extension/attempt-id": attempt},
        },
    }
    result = {
        "score": {"scaled": score, "raw": score, "min": 0.0, "max": 1.0},
        "success": success,
        "response": "choice 1",
    }
    statement = _statement(
        actor,
        "https://w3id.org/xapi/acrossx/verbs/evaluated",
        "evaluated",
        obj,
        when,
        result=result,
    )
    return _in_course(statement, course_key, course_name)


def video(actor, course_key, course_name, video_key, verb, time, when) -> dict:
    """``initialized`` (no result), ``played``/``paused``/``completed`` (result time)."""
    verbs = {
        "initialized": "http://adlnet.gov/expapi/verbs/initialized",
        "played": "https://w3id.org/xapi/video/verbs/played",
        "paused": "https://w3id.org/xapi/video/verbs/paused",
        "completed": "http://adlnet.gov/expapi/verbs/completed",
    }
    obj = {
        "id": f"{LMS}/xblock/{video_key}",
        "objectType": "Activity",
        "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"},
    }
    extra = {}
    if verb != "initialized":
        extra["result"] = {"extensions": {"https://w3id.org/xapi/video/extensions/time": time}}
    statement = _statement(actor, verbs[verb], verb, obj, when, **extra)
    return _in_course(
        statement,
        course_key,
        course_name,
        **{"https://w3id.org/xapi/video/extensions/length": 60.0},
    )


def navigated(actor, course_key, course_name, sequential, when) -> dict:
    obj = {
        "id": f"{LMS}/xblock/{sequential}",
        "objectType": "Activity",
        "definition": {
            "type": "http://id.tincanapi.com/activitytype/resource",
            "extensions": {"https://w3id.org/xapi/acrossx/extensions/total-items": 2},
        },
    }
    statement = _statement(
        actor, "https://w3id.org/xapi/dod-isd/verbs/navigated", "navigated", obj, when
    )
    return _in_course(
        statement,
        course_key,
        course_name,
        **{
            "http://id.tincanapi.com/extension/starting-position": 1,
            "http://id.tincanapi.com/extension/ending-point": "next unit",
        },
    )


def course_graded(actor, course_key, course_name, percent, letter, when) -> dict:
    """``edx.grades.course.grade_calculated`` (CourseGradedTransformer)."""
    result = {
        "score": {"min": 0, "max": 1.0, "raw": percent, "scaled": percent},
        "extensions": {"http://www.tincanapi.co.uk/activitytypes/grade_classification": letter},
    }
    obj = _course_object(course_key, course_name)
    return _statement(
        actor, "http://id.tincanapi.com/verb/earned", "earned", obj, when, result=result
    )


def passed(actor, course_key, course_name, when) -> dict:
    """``edx.course.grade.passed.first_time``."""
    obj = _course_object(course_key, course_name)
    return _statement(actor, "http://adlnet.gov/expapi/verbs/passed", "passed", obj, when)


def four_learners(course, name, actors, day, problems, video_key, sequential) -> list[dict]:
    """Learner 0 passes, 1 answers wrong three times (at risk), 2 watches, 3 leaves.

    ``problems``: the usage keys of the problem learner 0 gets right and learner 1 gets wrong
    (the same key twice when the course has one problem).
    """
    right, wrong = problems
    found = [registered(actor, course, name, "verified" if i else "audit", day)
             for i, actor in enumerate(actors)]  # fmt: skip
    first, second, third, fourth = actors
    found += [
        navigated(first, course, name, sequential, day),
        evaluated(first, course, name, right, True, 1.0, 1, day),
        course_graded(first, course, name, 0.9, "Pass", day),
        passed(first, course, name, day),
        *(evaluated(second, course, name, wrong, False, 0.0, n, day) for n in (1, 2, 3)),
        video(third, course, name, video_key, "initialized", 0, day),
        video(third, course, name, video_key, "played", 12.5, day),
        video(third, course, name, video_key, "completed", 60.0, day),
        navigated(third, course, name, sequential, day),
        unregistered(fourth, course, name, "verified", day + timedelta(hours=1)),
    ]
    return found


def insert_statements(client, target, found: list[dict]) -> None:
    """Insert statements into the target's xAPI table as Ralph writes them."""
    rows = [
        [uuid.UUID(s["id"]), datetime.fromisoformat(s["timestamp"]), json.dumps(s)] for s in found
    ]
    client.insert(
        target.xapi_table,
        rows,
        column_names=["event_id", "emission_time", "event"],
        database=target.xapi_database,
    )
