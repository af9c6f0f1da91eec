"""App config with openedx-learning's label (mirrors openedx_tagging/core/tagging/apps.py)."""

from django.apps import AppConfig


class TaggingConfig(AppConfig):
    """The ``oel_tagging`` app."""

    name = "openedx_tagging.core.tagging"
    verbose_name = "Tagging"
    default_auto_field = "django.db.models.BigAutoField"
    label = "oel_tagging"
