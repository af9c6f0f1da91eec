"""``user_profile``: the learner's profile (PII), written on every save."""

from aspects_platform.sinks.base import Column, ModelSink
from aspects_platform.sinks.encoding import utc_datetime


class UserProfileSink(ModelSink):
    """UserProfile rows, joined with the user's username and email."""

    object_name = "user_profile"
    table = "user_profile"
    user_field = "user"
    columns = (
        Column("id"),
        Column("user_id"),
        Column("name"),
        Column("username", "user__username"),
        Column("email", "user__email"),
        Column("meta"),
        Column("courseware"),
        Column("language"),
        Column("location"),
        Column("year_of_birth"),
        Column("gender"),
        Column("level_of_education"),
        Column("mailing_address"),
        Column("city"),
        Column("country"),
        Column("state"),
        Column("goals"),
        Column("bio"),
        Column("profile_image_uploaded_at", encode=utc_datetime),
        Column("phone_number"),
    )
