"""Install tier: the in-platform app on Open edX's Python (3.12) with the older Django LTS (4.2).

Builds a throw-away Python 3.12 virtualenv with Django 4.2, installs the in-platform app from
its own folder, and runs the platform and ClickHouse test tiers there (same embedded engine).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.install.shell import run

pytestmark = [pytest.mark.install, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
PYTHON_312_CANDIDATES = ("/root/.pyenv/versions/3.12.1/bin/python", "python3.12")


def find_python_312() -> str | None:
    """A working Python 3.12 interpreter on this machine, if any (pyenv shims may not run)."""
    for candidate in PYTHON_312_CANDIDATES:
        path = shutil.which(candidate)
        if path is None:
            continue
        probe = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.startswith("Python 3.12"):
            return path
    return None


def requirements_for_django_42() -> list[str]:
    """The dev requirements without Tutor (host-side only), with Django pinned to the 4.2 LTS."""
    keep = []
    for line in (REPO / "requirements" / "dev.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not re.match(r"(?i)(tutor|django)\b(?!-)", line):
            keep.append(line)
    return [*keep, "Django>=4.2,<5"]


def test_platform_app_on_python_312_and_django_42(tmp_path: Path) -> None:
    python = find_python_312()
    if python is None:
        pytest.skip("no Python 3.12 interpreter on this machine")
    venv = tmp_path / "venv312"
    run(python, "-m", "venv", venv)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q"]
    run(*pip, *requirements_for_django_42())
    run(*pip, REPO / "platform-plugin")
    versions = run(
        venv / "bin" / "python",
        "-c",
        "import sys, django; print(sys.version_info[:2], django.get_version())",
    )
    assert "(3, 12)" in versions and " 4.2." in versions, versions
    output = run(
        venv / "bin" / "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/platform",
        "tests/clickhouse",
        # The demo ends with the Tutor render summary: Tutor is host-side, not in this venv.
        "--deselect",
        "tests/platform/test_sandbox.py::test_demo_runs_end_to_end_and_counts_match",
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST"))},
    )
    # run() already failed the test on a non-zero exit; make sure tests actually ran.
    assert re.search(r"\d+ passed", output), output
