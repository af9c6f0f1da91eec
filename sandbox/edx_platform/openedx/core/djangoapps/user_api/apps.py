"""App config with edx-platform's label for the user API (retirement status)."""

from django.apps import AppConfig


class UserAPIConfig(AppConfig):
    """The ``user_api`` app."""

    name = "openedx.core.djangoapps.user_api"
    label = "user_api"
    default_auto_field = "django.db.models.AutoField"
