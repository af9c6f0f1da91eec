"""``course_enrollment``: one row per enrollment; never the username of a retired user."""

from collections.abc import Sequence
from typing import Any

from aspects_platform.sinks import retired_users
from aspects_platform.sinks.base import Column, DumpRun, ModelSink
from aspects_platform.sinks.encoding import boolean, utc_datetime


class CourseEnrollmentSink(ModelSink):
    """CourseEnrollment rows with the user's username, blank once the user asked to retire.

    Enrollment rows are not PII (course, mode, dates, user id) and stay for analytics when a
    user retires; the username is. A retired user's rows are written with an empty username,
    and the retirement blanks the usernames already in ClickHouse (UserRetirementSink).
    The blanking happens in ``prepare`` (one query per page), not in an annotation: the raw
    cursor read would get annotation columns in another order on Django 4.2.
    """

    object_name = "course_enrollment"
    table = "course_enrollment"
    user_field = "user"
    columns = (
        Column("id"),
        Column("course_key", "course_id"),
        Column("created", encode=utc_datetime),
        Column("is_active", encode=boolean),
        Column("mode"),
        Column("username", "user__username"),
        Column("user_id"),
    )

    def prepare(self, rows: Sequence[Sequence[Any]], run: DumpRun) -> list[Sequence[Any]]:
        """The rows, with the username blanked for users who asked to be retired."""
        if not rows:
            return list(rows)
        user_at, name_at = self.lookups.index("user_id"), self.lookups.index("user__username")
        retired = set(
            self.model()
            ._default_manager.filter(
                retired_users.retired(self.user_field),
                user_id__in={row[user_at] for row in rows},
            )
            .values_list("user_id", flat=True)
        )
        return [
            (*row[:name_at], "", *row[name_at + 1 :]) if row[user_at] in retired else row
            for row in rows
        ]
