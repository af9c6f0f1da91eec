"""Session-wide Tutor roots: each is rendered once and shared by the tests that read it.

Tutor runs in child processes and loads the plugin that is *installed*; before any test of
this tier, ``installed_plugin_is_the_working_tree`` reinstalls it when it differs from the
working tree (``tutoraspects/`` or ``platform-plugin/``), so a test never renders stale code.
"""

from __future__ import annotations

import pytest

from tests.tutor.freshness import ensure_installed_plugin_is_current
from tests.tutor.rendered import Rendered, render

# Values with quotes, backslashes, `$` and YAML/Python specials: they must arrive intact.
AWKWARD_PASSWORD = "p'a\"s$s\\w#o:r d"
PIP_SPEC = "git+https://example.org/fork/aspects-platform.git@my branch#egg=aspects-platform"


@pytest.fixture(scope="session", autouse=True)
def installed_plugin_is_the_working_tree() -> None:
    """Reinstall the plugin when the installed copy is not the working tree's."""
    ensure_installed_plugin_is_current()


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The plugin with its defaults."""
    return render(tmp_path_factory.mktemp("aspects-default"))


@pytest.fixture(scope="session")
def rendered_all_off(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Every RUN switch off, PII on, the in-platform app from a pip spec, awkward values."""
    return render(
        tmp_path_factory.mktemp("aspects-all-off"),
        "ASPECTS_RUN_CLICKHOUSE=false",
        "ASPECTS_RUN_SUPERSET=false",
        "ASPECTS_RUN_RALPH=false",
        "ASPECTS_ENABLE_PII=true",
        "ASPECTS_CLICKHOUSE_HOST=clickhouse.example.org",
        "ASPECTS_CLICKHOUSE_SECURE=true",
        f"ASPECTS_PLATFORM_PIP_SPEC={PIP_SPEC}",
        f"ASPECTS_CLICKHOUSE_LMS_PASSWORD={AWKWARD_PASSWORD}",
        f"ASPECTS_CLICKHOUSE_ADMIN_PASSWORD={AWKWARD_PASSWORD}",
    )
