"""Tracking contexts, as ``common/djangoapps/track/contexts.py`` in edx-platform (sandbox)."""

from __future__ import annotations

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey


def course_context_from_course_id(course_id: CourseKey | str | None) -> dict[str, str]:
    """``{"course_id", "org_id", "enterprise_uuid"}`` for a course key ("" when unknown)."""
    context = {"course_id": "", "org_id": "", "enterprise_uuid": ""}
    if not course_id:
        return context
    if not isinstance(course_id, CourseKey):
        try:
            course_id = CourseKey.from_string(course_id)
        except InvalidKeyError:
            return context
    context["course_id"] = str(course_id)
    context["org_id"] = course_id.org
    return context
