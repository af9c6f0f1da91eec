"""App config with edx-platform's label for course overviews."""

from django.apps import AppConfig


class CourseOverviewsConfig(AppConfig):
    """The ``course_overviews`` app; ``ready()`` connects its COURSE_PUBLISHED receiver."""

    name = "openedx.core.djangoapps.content.course_overviews"
    label = "course_overviews"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Connect the signal receivers, as edx-platform's app does."""
        from . import signals  # noqa: F401
