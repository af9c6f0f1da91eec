"""App config with edx-platform's label for external user ids."""

from django.apps import AppConfig


class ExternalUserIDConfig(AppConfig):
    """The ``external_user_ids`` app."""

    name = "openedx.core.djangoapps.external_user_ids"
    label = "external_user_ids"
    default_auto_field = "django.db.models.AutoField"
