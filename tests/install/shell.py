"""Running commands from the install-tier tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def run(
    *args: str | Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    expect_status: int = 0,
    timeout: int = 1200,
) -> str:
    """Run a command; fail the test, with its output, unless it exits with ``expect_status``."""
    done = subprocess.run(
        [str(arg) for arg in args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == expect_status, f"{' '.join(map(str, args))}:\n{done.stdout[-8000:]}"
    return done.stdout
