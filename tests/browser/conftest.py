"""Browser tier: the sandbox LMS served on 127.0.0.1, driven in Debian's headless Chromium.

Every test here carries the ``browser`` marker. Playwright drives ``/usr/bin/chromium`` (or
``$ASPECTS_TEST_CHROMIUM``) with the launch flags that work as root in a container, a fresh
profile per test. The LMS runs in this process (Django's live server on a port chosen up
front, ``tests/superset/server.py``, so that Superset can be told the LMS origin before it
starts) on the same host name as Superset: the browser then treats both as one site (the iframe
keeps its storage).
Screenshots go to ``test-artifacts/browser/`` at the repository root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.clickhouse_server.process import HOST
from tests.superset.server import TEST_LMS_ORIGIN, TEST_LMS_PORT
from tests.tiers import mark_tier, setup_sandbox_lms

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: The LMS's origin, fixed before any server starts (Superset's frame-ancestors need it).
LMS_PORT, LMS_ORIGIN = TEST_LMS_PORT, TEST_LMS_ORIGIN


def pytest_configure(config) -> None:
    """The sandbox LMS's test settings; Playwright's sync API runs an event loop in the test's
    thread, so Django is told the ORM calls made there are synchronous."""
    setup_sandbox_lms(async_unsafe=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is in the ``browser`` tier."""
    mark_tier(items, Path(__file__).parent, pytest.mark.browser)


def chromium_path() -> str:
    """Debian's Chromium (``apt-get install chromium``) or ``$ASPECTS_TEST_CHROMIUM``."""
    path = os.environ.get("ASPECTS_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium not found: install Debian's package (apt-get install chromium) or set "
            "ASPECTS_TEST_CHROMIUM to its executable"
        )
    return path


@pytest.fixture(autouse=True)
def sinks_off(settings) -> None:
    """No ClickHouse in this tier: every sink switched off (logins save profiles)."""
    from aspects_platform.settings.common import RETIREMENT_SWITCH_NAME, SINK_SWITCH_NAMES

    for name in (*SINK_SWITCH_NAMES, RETIREMENT_SWITCH_NAME):
        setattr(settings, f"EVENT_SINK_CLICKHOUSE_{name.upper()}_ENABLED", False)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """A headless Chromium driven by Playwright (sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def lms_server(django_db_setup) -> Iterator[None]:
    """The sandbox LMS served on ``LMS_ORIGIN`` (static files too) for the whole session.

    One server for every test: the port is fixed, and Django's live server binds without
    SO_REUSEADDR, so a second server on it fails while the first one's connections linger.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(f"{HOST}:{LMS_PORT}")
    try:
        yield
    finally:
        server.stop()


@pytest.fixture
def lms(lms_server, transactional_db) -> str:
    """The LMS's origin, serving this test's data (committed: the server has its own thread)."""
    return LMS_ORIGIN


@pytest.fixture
def artifacts() -> Path:
    """Where this tier keeps its screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def login_cookie(lms: str):
    """``login_cookie(user)``: a session cookie of ``user`` for the LMS (a Django login)."""
    from django.conf import settings
    from django.test import Client

    def cookie(user) -> dict:
        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return {"name": name, "value": client.cookies[name].value, "url": lms}

    return cookie
