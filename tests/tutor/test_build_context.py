"""The openedx build context carries the in-platform app byte for byte (never Jinja-rendered)."""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

from tests.tutor.rendered import Rendered

REPO = Path(__file__).resolve().parents[2]
SOURCES = REPO / "platform-plugin"
# The installed wheel (what Tutor renders from), not the repository's tutoraspects/ folder.
SHIPPED = (
    Path(str(distribution("tutor-aspects").locate_file("tutoraspects/templates/build/openedx")))
    / "aspects-platform"
)
SKIPPED_PARTS = {"__pycache__", "build", "dist"}


def files_under(root: Path) -> dict[str, bytes]:
    """Every file Tutor would consider, by relative path (caches and hidden files excluded)."""
    found = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        parts = set(relative.parts)
        if not path.is_file() or parts & SKIPPED_PARTS or path.suffix == ".pyc":
            continue
        if any(part.startswith(".") or part.endswith(".egg-info") for part in relative.parts):
            continue
        found[relative.as_posix()] = path.read_bytes()
    return found


def test_build_context_is_a_verbatim_copy_of_the_shipped_app(rendered: Rendered) -> None:
    context = files_under(rendered.env / "build" / "openedx" / "aspects-platform")
    shipped = files_under(SHIPPED)
    assert "pyproject.toml" in context
    assert "aspects_platform/__init__.py" in context
    assert sorted(context) == sorted(shipped)
    changed = [name for name in context if context[name] != shipped[name]]
    assert not changed, f"rendered instead of copied: {changed}"


def test_installed_plugin_ships_the_current_sources() -> None:
    """Fails when the wheel is stale: run `make install` after changing platform-plugin/."""
    sources = files_under(SOURCES)
    shipped = files_under(SHIPPED)
    stale = sorted(
        name for name in sources.keys() | shipped.keys() if sources.get(name) != shipped.get(name)
    )
    assert not stale, f"reinstall the plugin (make install); differing files: {stale[:10]}"
