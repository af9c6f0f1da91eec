"""App config for the sandbox modulestore's block table."""

from django.apps import AppConfig


class ModulestoreConfig(AppConfig):
    """Holds the ``BlockRecord`` table that backs the stand-in modulestore."""

    name = "xmodule.modulestore"
    label = "modulestore"
    default_auto_field = "django.db.models.BigAutoField"
