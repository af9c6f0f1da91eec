"""Tables behind the sandbox split store, shaped like split's Mongo collections.

``CourseIndex`` is split's ``modulestore.active_versions`` (one row per course: the structure
version at the head of each branch); ``CourseStructure`` is ``modulestore.structures``
(append-only: every write makes a new version, as xmodule/modulestore/split_mongo/split.py does).
"""

from django.db import models
from django.utils import timezone


class CourseIndex(models.Model):
    """The heads of a course's draft and published branches."""

    class Meta:
        app_label = "modulestore"

    course_key = models.CharField(max_length=255, unique=True)
    org = models.CharField(max_length=255)
    draft_version = models.CharField(max_length=32)
    published_version = models.CharField(max_length=32, blank=True, default="")
    edited_on = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.course_key


class CourseStructure(models.Model):
    """One immutable version of a course outline: every block with its fields and children.

    ``blocks`` is JSON: ``{"root": [type, id], "blocks": [[type, id, fields, children,
    edited_on, edited_by], ...]}`` (children as ``[type, id]`` pairs, in outline order).
    """

    class Meta:
        app_label = "modulestore"
        indexes = [models.Index(fields=["course_key"], name="structure_course")]

    version = models.CharField(max_length=32, unique=True)
    course_key = models.CharField(max_length=255)
    previous_version = models.CharField(max_length=32, blank=True, default="")
    blocks = models.TextField()
    edited_on = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.course_key} @ {self.version}"
