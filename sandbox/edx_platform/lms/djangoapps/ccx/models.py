"""CustomCourseForEdX with edx-platform's fields (sandbox only).

Mirrors edx-platform ``lms/djangoapps/ccx/models.py``: a CCX belongs to a master course
(``course_id``), has a coach and a display name, and its course key is
``CCXLocator.from_course_locator(course_id, str(id))`` (``ccx-v1:org+course+run+ccx@<id>``,
from the ``edx-ccx-keys`` package edx-platform depends on).
"""

from __future__ import annotations

import json

from ccx_keys.locator import CCXLocator
from django.contrib.auth.models import User
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CustomCourseForEdX(models.Model):
    """A custom course: the master course's content, its own schedule and learners."""

    course_id = CourseKeyField(max_length=255, db_index=True)
    display_name = models.CharField(max_length=255)
    coach = models.ForeignKey(User, db_index=True, on_delete=models.CASCADE)
    structure_json = models.TextField(verbose_name="Structure JSON", blank=True, null=True)

    class Meta:
        app_label = "ccx"

    @property
    def structure(self):
        """The master course blocks this CCX shows (a JSON list), or None for all."""
        return json.loads(self.structure_json) if self.structure_json else None

    @property
    def locator(self) -> CCXLocator:
        """The CCX's course key."""
        return CCXLocator.from_course_locator(self.course_id, str(self.id))
