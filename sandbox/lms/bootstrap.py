"""Create the sandbox database on first use, and keep it migrated."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Commands that must not trigger an automatic migrate (they manage migrations themselves,
# or need no database).
_NO_AUTO_MIGRATE = {"migrate", "makemigrations", "showmigrations", "sqlmigrate", "help", "check"}


def ensure_database(argv: Sequence[str] = ()) -> None:
    """Run ``migrate`` quietly when the SQLite file is missing or has unapplied migrations."""
    command = argv[1] if len(argv) > 1 else "help"
    if command in _NO_AUTO_MIGRATE or command.startswith("-"):
        return
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    db_file = Path(settings.DATABASES["default"]["NAME"])
    if db_file.exists() and not _pending_migrations():
        return
    db_file.parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)


def _pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
