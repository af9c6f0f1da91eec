"""What several tiers' conftests share: the sandbox LMS's Django set-up, markers, sink config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def setup_sandbox_lms(async_unsafe: bool = False) -> None:
    """Set Django up with the sandbox LMS's test settings (``tests/platform/settings.py``).

    ``async_unsafe``: ORM calls from a thread that runs an event loop (Playwright's sync API)
    are still synchronous, which Django must be told.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.platform.settings")
    if async_unsafe:
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def mark_tier(items: list[pytest.Item], folder: Path, *marks: pytest.MarkDecorator) -> None:
    """Give every collected test under ``folder`` the tier's ``marks``."""
    for item in items:
        if folder in Path(str(item.fspath)).parents:
            for mark in marks:
                item.add_marker(mark)


def backend_config(clickhouse) -> dict:
    """EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG for the test ClickHouse."""
    return {
        "url": clickhouse.url,
        "username": clickhouse.username,
        "password": clickhouse.password,
        "database": clickhouse.event_sink_database,
        "reporting_database": clickhouse.reporting_database,
        "timeout_secs": 5,
    }
