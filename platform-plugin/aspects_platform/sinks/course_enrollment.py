"""``course_enrollment``: one row per enrollment change."""

from aspects_platform.sinks.base import Column, ModelSink
from aspects_platform.sinks.encoding import boolean, utc_datetime


class CourseEnrollmentSink(ModelSink):
    """CourseEnrollment rows with the user's username."""

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
