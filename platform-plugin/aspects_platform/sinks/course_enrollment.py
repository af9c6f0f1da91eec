"""``course_enrollment``: one row per enrollment; never the username of a retired user."""

from django.db.models import Case, F, Value, When

from aspects_platform.sinks import retired_users
from aspects_platform.sinks.base import Column, ModelSink
from aspects_platform.sinks.encoding import boolean, utc_datetime

#: The annotation that holds the exported username ("" for retired users).
EXPORTED_USERNAME = "aspects_exported_username"


class CourseEnrollmentSink(ModelSink):
    """CourseEnrollment rows with the user's username, blank once the user asked to retire.

    Enrollment rows are not PII (course, mode, dates, user id) and stay for analytics when a
    user retires; the username is. A retired user's rows are written with an empty username,
    and the retirement blanks the usernames already in ClickHouse (UserRetirementSink).
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
        Column("username", EXPORTED_USERNAME),
        Column("user_id"),
    )

    def queryset(self):
        """Every enrollment, with the username blanked for retired users."""
        exported = Case(
            When(retired_users.retired(self.user_field), then=Value("")),
            default=F(f"{self.user_field}__username"),
        )
        return super().queryset().annotate(**{EXPORTED_USERNAME: exported})
