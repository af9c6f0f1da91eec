"""Superset's own virtualenv (``.venv-superset``), created on first use (``make superset``).

Superset pins dozens of libraries (Flask, SQLAlchemy, marshmallow) that cannot share the
sandbox's virtualenv; the pins themselves are in ``requirements/superset.txt``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "requirements" / "superset.txt"
VENV_VARIABLE = "ASPECTS_SUPERSET_VENV"


def venv_path() -> Path:
    """``$ASPECTS_SUPERSET_VENV`` or ``<repo>/.venv-superset``."""
    return Path(os.environ.get(VENV_VARIABLE) or REPO_ROOT / ".venv-superset")


def is_current(path: Path | None = None) -> bool:
    """True when the virtualenv was built from today's ``requirements/superset.txt``."""
    marker = (path or venv_path()) / ".installed"
    return marker.exists() and marker.read_text() == REQUIREMENTS.read_text()


def ensure_venv(path: Path | None = None) -> Path:
    """The virtualenv's ``bin`` folder; creates or updates it when the pins changed."""
    path = path or venv_path()
    if not is_current(path):
        print(f"installing Superset into {path} (requirements/superset.txt)", file=sys.stderr)
        if not (path / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
        (path / ".installed").write_text(REQUIREMENTS.read_text())
    return path / "bin"


if __name__ == "__main__":
    print(ensure_venv())
