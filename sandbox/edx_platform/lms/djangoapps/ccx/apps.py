"""App config with edx-platform's label for CCX (its models declare ``app_label = 'ccx'``)."""

from django.apps import AppConfig


class CCXConfig(AppConfig):
    """The ``ccx`` app."""

    name = "lms.djangoapps.ccx"
    label = "ccx"
    default_auto_field = "django.db.models.AutoField"
