"""The in-platform app always ships at the Tutor plugin's own version."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _version(path: Path) -> str:
    match = re.search(r'__version__ = "([^"]+)"', path.read_text())
    assert match, f"no __version__ in {path}"
    return match.group(1)


def test_platform_app_version_equals_plugin_version() -> None:
    plugin = _version(ROOT / "tutoraspects" / "__about__.py")
    platform = _version(ROOT / "platform-plugin" / "aspects_platform" / "__about__.py")
    assert platform == plugin
