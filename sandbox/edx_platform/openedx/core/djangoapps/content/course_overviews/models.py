"""CourseOverview with the edx-platform fields the analytics sinks read (sandbox only).

Mirrors openedx/core/djangoapps/content/course_overviews/models.py: the overview is a cache of
the course block, rebuilt by ``load_from_module_store`` (from the modulestore's current branch,
saved) and read by ``get_from_id`` (request-cached, as edx-platform's ``@request_cached()``
from openedx/core/lib/cache_utils.py; loads from the modulestore when missing).
"""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey
from xmodule.modulestore.blocks import COURSE_SETTINGS

#: Course block attributes copied into the overview (same names on both sides; the block's
#: ``lowest_passing_grade`` is the minimum of its grade cutoffs).
COPIED_FIELDS = (*COURSE_SETTINGS, "lowest_passing_grade")
#: Non-null boolean fields: False when the course block leaves them unset.
BOOLEAN_FIELDS = (
    "self_paced",
    "invitation_only",
    "enable_proctored_exams",
    "entrance_exam_enabled",
)
GET_FROM_ID_CACHE = "course_overviews.get_from_id"


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
    def _create_or_update(cls, course) -> CourseOverview:
        """The overview of a loaded course block (existing row updated, or a new one)."""
        key = course.id
        overview = cls.objects.filter(id=key).first() or cls(id=key)
        overview.org = key.org
        overview.display_name = course.display_name
        overview.display_number_with_default = key.course
        for name in COPIED_FIELDS:
            value = getattr(course, name)
            if value is None and name in BOOLEAN_FIELDS:
                value = False
            setattr(overview, name, value)
        return overview

    @classmethod
    def load_from_module_store(cls, course_id: CourseKey) -> CourseOverview:
        """Build the overview from the modulestore and save it; DoesNotExist when no course."""
        from xmodule.modulestore.django import modulestore

        store = modulestore()
        with store.bulk_operations(course_id):
            course = store.get_course(course_id)
            if course is None:
                raise cls.DoesNotExist()
            overview = cls._create_or_update(course)
            with transaction.atomic():
                overview.save()  # auto_now: ``modified`` is now
            return overview

    @classmethod
    def get_from_id(cls, course_id: CourseKey | str) -> CourseOverview:
        """The stored overview, else one loaded from the modulestore (request-cached)."""
        if not isinstance(course_id, CourseKey):
            course_id = CourseKey.from_string(course_id)
        cache = RequestCache(GET_FROM_ID_CACHE)
        cached = cache.get_cached_response(str(course_id))
        if cached.is_found:
            return cached.value
        overview = cls.objects.filter(id=course_id).first()
        if overview is None:
            overview = cls.load_from_module_store(course_id)
        cache.set(str(course_id), overview)
        return overview
