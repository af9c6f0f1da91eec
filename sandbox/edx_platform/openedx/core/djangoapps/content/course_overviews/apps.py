"""App config with edx-platform's label for course overviews."""

from django.apps import AppConfig


class CourseOverviewsConfig(AppConfig):
    """The ``course_overviews`` app."""

    name = "openedx.core.djangoapps.content.course_overviews"
    label = "course_overviews"
    default_auto_field = "django.db.models.AutoField"
