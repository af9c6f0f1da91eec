"""Who may see a course's reports, decided with the platform's own course roles.

Global staff, and the course's staff (``CourseStaffRole``, which also holds for limited staff)
and instructors (``CourseInstructorRole``), from edx-platform's
``common.djangoapps.student.roles``. Every other user, learners included, gets nothing:
edx-platform's ``IsStaffOrReadOnly`` is not used (it lets any GET through).
"""

from __future__ import annotations

from typing import Any

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from aspects_platform.settings.common import DEFAULT_MODEL_CONFIG
from aspects_platform.sinks.base import get_model

COURSE_OVERVIEWS = "course_overviews"


class CourseNotFound(Exception):
    """The course id is not a course key, or no such course exists (the message says which)."""


def can_view_reports(user: Any, course_key: CourseKey) -> bool:
    """Whether ``user`` is global staff, or staff or instructor of the course."""
    from common.djangoapps.student.roles import (
        CourseInstructorRole,
        CourseStaffRole,
        GlobalStaff,
    )

    return (
        GlobalStaff().has_user(user)
        or CourseInstructorRole(course_key).has_user(user)
        or CourseStaffRole(course_key).has_user(user)
    )


def find_course(course_id: str) -> tuple[CourseKey, Any]:
    """The course key and overview of ``course_id``; CourseNotFound when there is none."""
    try:
        course_key = CourseKey.from_string(course_id)
    except InvalidKeyError as exc:
        raise CourseNotFound(
            f"{course_id!r} is not a course key (expected e.g. course-v1:Org+Course+Run)"
        ) from exc
    overview_model = get_model(COURSE_OVERVIEWS, DEFAULT_MODEL_CONFIG[COURSE_OVERVIEWS])
    try:
        return course_key, overview_model.get_from_id(course_key)
    except overview_model.DoesNotExist as exc:
        raise CourseNotFound(f"No course {course_id!r} exists.") from exc
