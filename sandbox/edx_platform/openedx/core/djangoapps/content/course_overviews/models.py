"""CourseOverview with the edx-platform fields the analytics sinks read (sandbox only)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey


class CourseOverview(models.Model):
    """A cached summary of a course, keyed by its course key, as in edx-platform."""

    class Meta:
        app_label = "course_overviews"

    id = CourseKeyField(db_index=True, primary_key=True, max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    org = models.TextField(max_length=255, default="outdated_entry")
    display_name = models.TextField(null=True)
    display_number_with_default = models.TextField(default="")
    start = models.DateTimeField(null=True)
    end = models.DateTimeField(null=True)
    enrollment_start = models.DateTimeField(null=True)
    enrollment_end = models.DateTimeField(null=True)
    self_paced = models.BooleanField(default=False)
    advertised_start = models.TextField(null=True)
    announcement = models.DateTimeField(null=True)
    lowest_passing_grade = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    invitation_only = models.BooleanField(default=False)
    max_student_enrollments_allowed = models.IntegerField(null=True)
    effort = models.TextField(null=True)
    enable_proctored_exams = models.BooleanField(default=False)
    entrance_exam_enabled = models.BooleanField(default=False)
    external_id = models.CharField(max_length=128, null=True, blank=True)
    language = models.TextField(null=True)

    def __str__(self) -> str:
        return str(self.id)

    @property
    def location(self):
        """Usage key of the course block."""
        return self.id.make_usage_key("course", "course")

    @property
    def display_name_with_default(self) -> str:
        """The display name, or the course number when it has none."""
        return self.display_name or self.id.course

    @property
    def pacing(self) -> str:
        """``"self"`` for self-paced courses, else ``"instructor"``."""
        return "self" if self.self_paced else "instructor"

    def has_started(self) -> bool:
        """True when the course start is in the past (no start: not started)."""
        return self.start is not None and self.start <= timezone.now()

    def has_ended(self) -> bool:
        """True when the course end is in the past (no end: never ends)."""
        return self.end is not None and self.end < timezone.now()

    @classmethod
    def get_from_id(cls, course_id: CourseKey | str) -> CourseOverview:
        """The overview of ``course_id``; raises CourseOverview.DoesNotExist when absent."""
        if not isinstance(course_id, CourseKey):
            course_id = CourseKey.from_string(course_id)
        return cls.objects.get(id=course_id)
