"""The CourseOverview refresh on COURSE_PUBLISHED (sandbox only).

Mirrors openedx/core/djangoapps/content/course_overviews/signals.py: a sibling receiver of
every other COURSE_PUBLISHED receiver (the Aspects app's included), called in app order.
"""

from __future__ import annotations

from django.dispatch import receiver
from xmodule.modulestore.django import SignalHandler

from .models import CourseOverview


@receiver(SignalHandler.course_published)
def _listen_for_course_publish(sender, course_key, **kwargs) -> None:
    """Rebuild the course's overview from the modulestore."""
    CourseOverview.load_from_module_store(course_key)


@receiver(SignalHandler.course_deleted)
def _listen_for_course_delete(sender, course_key, **kwargs) -> None:
    """Drop the overview of a deleted course."""
    CourseOverview.objects.filter(id=course_key).delete()
