"""The table behind the sandbox modulestore: one row per block, with parent and sibling order."""

from django.db import models
from django.utils import timezone


class BlockRecord(models.Model):
    """One block of a course. ``parent_block_id`` + ``position`` give the outline order."""

    class Meta:
        app_label = "modulestore"
        constraints = [
            models.UniqueConstraint(
                fields=["course_key", "block_type", "block_id"], name="unique_block_in_course"
            )
        ]
        indexes = [models.Index(fields=["course_key", "position"], name="block_course_position")]

    course_key = models.CharField(max_length=255, db_index=True)
    block_type = models.CharField(max_length=64)
    block_id = models.CharField(max_length=255)
    # The parent's usage key string; empty for the course block and detached blocks.
    parent = models.CharField(max_length=255, blank=True, default="")
    position = models.IntegerField(default=0)
    display_name = models.TextField(null=True, blank=True)
    graded = models.BooleanField(default=False)
    format = models.CharField(max_length=64, null=True, blank=True)
    completion_mode = models.CharField(max_length=16, default="completable")
    edited_on = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.course_key} {self.block_type}/{self.block_id}"
