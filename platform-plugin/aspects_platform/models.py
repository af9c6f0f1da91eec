"""The app's own LMS table: ClickHouse retirements, kept until ClickHouse confirms them.

A row is written (``pending``) when USER_RETIRE_LMS_MISC arrives, in the LMS database, so a
retirement survives a ClickHouse outage, a lost Celery message or a task that gave up. It
becomes ``submitted`` once a cluster accepted the mutations, and ``done`` once no row of the
user is left (checked on every replica). ``retire_users_from_clickhouse`` lists and re-drives
the others. It holds the user id only: no username, email or name.
"""

from django.db import models


class ClickHouseRetirement(models.Model):
    """One user's retirement from ClickHouse."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    DONE = "done"
    STATES = ((PENDING, "pending"), (SUBMITTED, "submitted, not confirmed"), (DONE, "done"))

    user_id = models.BigIntegerField(unique=True)
    state = models.CharField(max_length=16, choices=STATES, default=PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "aspects_platform"
        ordering = ("created", "id")

    def __str__(self) -> str:
        return f"ClickHouseRetirement(user {self.user_id}: {self.state})"
