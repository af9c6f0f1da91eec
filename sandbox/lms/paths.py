"""Where the sandbox keeps its files, and how its stand-in edx-platform gets on sys.path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EDX_PLATFORM_ROOT = REPO_ROOT / "sandbox" / "edx_platform"
PLATFORM_APP_ROOT = REPO_ROOT / "platform-plugin"


def data_dir() -> Path:
    """``$ASPECTS_SANDBOX_DIR`` or ``<repo>/.sandbox``."""
    return Path(os.environ.get("ASPECTS_SANDBOX_DIR", REPO_ROOT / ".sandbox"))


def database_path() -> Path:
    """``$ASPECTS_SANDBOX_DB`` or ``<data dir>/lms.sqlite3``."""
    return Path(os.environ.get("ASPECTS_SANDBOX_DB", data_dir() / "lms.sqlite3"))


def add_to_sys_path() -> None:
    """Make ``sandbox``, the stand-in edx-platform and this tree's in-platform app importable."""
    for path in (str(REPO_ROOT), str(PLATFORM_APP_ROOT), str(EDX_PLATFORM_ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
