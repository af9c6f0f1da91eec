"""Two courses' data put into the Superset tier's ClickHouse through the sandbox LMS.

The LMS's sinks write the sink rows as they do in production: a course publish dumps its
overview and outline, a profile save and an external id write the PII tables, an enrollment its
row. Each course gets four learners whose xAPI statements (shaped as edx-event-routing-backends
emits them, actors being the learners' xAPI external ids) go into the xAPI table as Ralph
writes them. Each course has one staff member; one learner of course A is used for the 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox.clickhouse_server.testing import ClickHouseTarget
from tests.clickhouse import erb_statements as erb

#: One org per course, so a leak of either column is visible.
ORGS = ("OrgA", "OrgB")


@dataclass
class SeededCourse:
    """One course as the LMS holds it, and who is who in it."""

    key: str
    org: str
    name: str
    staff: object = field(repr=False)
    learners: list = field(default_factory=list, repr=False)


def seed_course(org: str, suffix: str) -> SeededCourse:
    """A published course with an outline, its staff and four enrolled learners (sinks on)."""
    from common.djangoapps.student.models import CourseEnrollment
    from common.djangoapps.student.roles import CourseStaffRole

    from tests.platform.factories import build_course, make_external_id, make_user

    key = build_course(org, "C1", f"R{suffix}")
    staff, _ = make_user(f"staff_{org}_{suffix}".lower())
    CourseStaffRole(key).add_users(staff)
    course = SeededCourse(str(key), org, "C1 course", staff)
    for number in range(4):
        learner, _ = make_user(f"learner{number}_{org}_{suffix}".lower(), name=f"L{number}")
        make_external_id(learner)
        CourseEnrollment.enroll(learner, key, mode="verified" if number else "audit")
        course.learners.append(learner)
    return course


def xapi_actor(user) -> str:
    """The user's xAPI actor: their ``xapi`` external id."""
    from openedx.core.djangoapps.external_user_ids.models import ExternalId

    return str(ExternalId.objects.get(user=user, external_id_type__name="xapi").external_user_id)


def course_statements(course: SeededCourse, day: datetime) -> list[dict]:
    """The four learners' statements on the course's real block keys (build_course's outline)."""
    key = course.key

    def block(kind: str, name: str) -> str:
        return erb.block_key(key, kind, name)

    problem = block("problem", "p1")
    actors = [xapi_actor(learner) for learner in course.learners]
    return erb.four_learners(
        key, course.name, actors, day, (problem, problem), block("video", "v1"),
        block("sequential", "a1"),
    )  # fmt: skip


def seed_courses(clickhouse: ClickHouseTarget, orgs=ORGS) -> list[SeededCourse]:
    """One course per org through the LMS, then its learners' statements into the xAPI table.

    Runs with database access and the sinks pointed at ``clickhouse`` (the caller's settings).
    Course runs are unique, so the data of an earlier run in the same ClickHouse never counts.
    """
    suffix = uuid.uuid4().hex[:8]
    courses = [seed_course(org, suffix) for org in orgs]
    day = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3)
    client = clickhouse.client()
    try:
        found = [s for course in courses for s in course_statements(course, day)]
        erb.insert_statements(client, clickhouse, found)
    finally:
        client.close()
    return courses
