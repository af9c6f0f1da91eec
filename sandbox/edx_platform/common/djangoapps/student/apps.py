"""App config with edx-platform's label for the student app."""

from django.apps import AppConfig


class StudentConfig(AppConfig):
    """The ``student`` app: user profiles and course enrollments."""

    name = "common.djangoapps.student"
    label = "student"
    default_auto_field = "django.db.models.AutoField"
