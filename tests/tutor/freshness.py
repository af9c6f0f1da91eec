"""Is the installed plugin (what the `tutor` CLI loads) the working tree's? Reinstall if not."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Build outputs at the top of a source folder, and caches anywhere.
SKIPPED_TOP = {"build", "dist"}
SKIPPED_PARTS = {"__pycache__"}
#: Working-tree folder -> where the wheel installs it.
SHIPPED_FOLDERS = {
    "tutoraspects": "tutoraspects",
    "platform-plugin": "tutoraspects/templates/build/openedx/aspects-platform",
}


def files_under(root: Path, skip: Path | None = None) -> dict[str, bytes]:
    """Every file Tutor would consider, by relative path (caches and hidden files excluded)."""
    found = {}
    for path in root.rglob("*"):
        if skip is not None and path.is_relative_to(skip):
            continue
        relative = path.relative_to(root)
        if not path.is_file() or set(relative.parts) & SKIPPED_PARTS or path.suffix == ".pyc":
            continue
        if relative.parts[0] in SKIPPED_TOP:
            continue
        if any(part.startswith(".") or part.endswith(".egg-info") for part in relative.parts):
            continue
        found[relative.as_posix()] = path.read_bytes()
    return found


def installed_path(relative: str) -> Path:
    """Where the installed ``tutor-aspects`` distribution keeps ``relative``."""
    return Path(str(distribution("tutor-aspects").locate_file(relative)))


def stale_files() -> list[str]:
    """Files that differ between the working tree and the installed plugin."""
    stale = []
    build_context = installed_path(SHIPPED_FOLDERS["platform-plugin"])
    for source, shipped in SHIPPED_FOLDERS.items():
        ours = files_under(REPO / source)
        # The installed tutoraspects/ holds the build context too: it is compared on its own.
        skip = build_context if source == "tutoraspects" else None
        theirs = files_under(installed_path(shipped), skip=skip)
        stale += [
            f"{source}/{name}"
            for name in sorted(ours.keys() | theirs.keys())
            if ours.get(name) != theirs.get(name)
        ]
    return stale


#: Set (by `make mutation`): Tutor's child processes load the plugin from this tree instead
#: (PYTHONPATH), so nothing is reinstalled. The openedx build context is then missing.
PLUGIN_FROM_TREE = "ASPECTS_TEST_TUTOR_PLUGIN_FROM_TREE"


def plugin_from_tree() -> bool:
    """True when Tutor's child processes import ``tutoraspects`` from the working tree."""
    return bool(os.environ.get(PLUGIN_FROM_TREE))


def ensure_installed_plugin_is_current() -> None:
    """Reinstall the plugin from the working tree (no dependencies) when it is stale."""
    if plugin_from_tree() or not stale_files():
        return
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(REPO)],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    still = stale_files()
    assert not still, f"the installed plugin still differs from the working tree: {still[:10]}"
