"""App config for the sandbox modulestore's tables (sandbox only).

edx-platform keeps split's course index and structures in MongoDB
(xmodule/modulestore/split_mongo/mongo_connection.py); the sandbox keeps them in SQLite.
"""

from django.apps import AppConfig


class ModulestoreConfig(AppConfig):
    """Holds the course index and structure tables behind the stand-in split store."""

    name = "xmodule.modulestore"
    label = "modulestore"
    default_auto_field = "django.db.models.BigAutoField"
