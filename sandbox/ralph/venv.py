"""Ralph's own virtualenv (``.venv-ralph``), created on first use.

Ralph cannot share the sandbox's virtualenv: its ClickHouse extra pins clickhouse-connect<0.8,
the in-platform app needs >= 1.3. Ralph imports ``requests`` without declaring it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sandbox.clickhouse_server.process import REPO_ROOT

RALPH_REQUIREMENTS = ("ralph-malph[backend-clickhouse,lrs,cli]==5.1.0", "requests")
VENV_VARIABLE = "ASPECTS_SANDBOX_RALPH_VENV"


def venv_path() -> Path:
    """``$ASPECTS_SANDBOX_RALPH_VENV`` or ``<repo>/.venv-ralph``."""
    return Path(os.environ.get(VENV_VARIABLE) or REPO_ROOT / ".venv-ralph")


def ensure_venv(path: Path | None = None) -> Path:
    """The virtualenv's ``bin`` folder; creates the virtualenv and installs Ralph if needed."""
    path = path or venv_path()
    marker = path / ".installed"
    if not marker.exists():
        print(f"creating Ralph's virtualenv in {path} (first use)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, *RALPH_REQUIREMENTS], check=True)
        marker.write_text("\n".join(RALPH_REQUIREMENTS) + "\n")
    return path / "bin"
