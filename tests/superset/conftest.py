"""Superset tier: its tests get the ``superset`` tier marker and a longer timeout.

The ``superset`` session fixture itself lives in ``tests/superset/server.py`` and is registered
by the root conftest (one server for every tier). The guest-token tests read the sandbox LMS,
so Django is set up with the platform tier's test settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.superset.server import TIER_TIMEOUT
from tests.tiers import mark_tier, setup_sandbox_lms


def pytest_configure(config) -> None:
    setup_sandbox_lms()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/superset is in the ``superset`` tier."""
    mark_tier(items, Path(__file__).parent, pytest.mark.superset, pytest.mark.timeout(TIER_TIMEOUT))
