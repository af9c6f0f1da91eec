"""Django set up on the sandbox LMS for an in-process benchmark: a fresh SQLite file, migrated."""

from __future__ import annotations

import os

from sandbox.lms.paths import REPO_ROOT

BENCH_DIR = REPO_ROOT / ".sandbox" / "bench"


def setup_sandbox_django(db_name: str, sinks_enabled: bool, **env: str) -> None:
    """Sandbox settings on ``.sandbox/bench/<db_name>`` (recreated), Celery eager, migrated.

    ``env`` adds environment variables (e.g. the ClickHouse server's ``ASPECTS_SANDBOX_*``).
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db_file = BENCH_DIR / db_name
    db_file.unlink(missing_ok=True)
    os.environ.update(
        {
            "ASPECTS_SANDBOX_DIR": str(BENCH_DIR),
            "ASPECTS_SANDBOX_DB": str(db_file),
            "ASPECTS_SANDBOX_SINKS_ENABLED": "1" if sinks_enabled else "0",
            "ASPECTS_SANDBOX_CELERY_EAGER": "1",
            "DJANGO_SETTINGS_MODULE": "sandbox.lms.settings",
            **env,
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
