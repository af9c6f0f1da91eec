"""App config for the sandbox modulestore's block table."""

from django.apps import AppConfig


class ModulestoreConfig(AppConfig):
    """Holds the course index and structure tables behind the stand-in split store."""

    name = "xmodule.modulestore"
    label = "modulestore"
    default_auto_field = "django.db.models.BigAutoField"
