"""CourseOverview internal API, as ``course_overviews/api.py`` in edx-platform (sandbox).

edx-event-routing-backends imports ``get_course_overviews`` at import time.
"""

from __future__ import annotations

from collections.abc import Iterable

from opaque_keys.edx.keys import CourseKey

from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx.core.djangoapps.content.course_overviews.serializers import (
    CourseOverviewBaseSerializer,
)


def get_course_overview(course_id: CourseKey | str) -> CourseOverview:
    """The overview of ``course_id`` (raises ``CourseOverview.DoesNotExist``)."""
    return CourseOverview.get_from_id(course_id)


def get_course_overviews(course_ids: Iterable[CourseKey]) -> list[dict]:
    """Serialized overviews of the given course keys (unknown keys are left out)."""
    overviews = CourseOverview.objects.filter(id__in=course_ids)
    return CourseOverviewBaseSerializer(overviews, many=True).data
