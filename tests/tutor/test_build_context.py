"""The openedx build context carries the in-platform app byte for byte (never Jinja-rendered)."""

from __future__ import annotations

from tests.tutor.freshness import REPO, SHIPPED_FOLDERS, files_under, installed_path
from tests.tutor.rendered import Rendered


def test_build_context_is_a_verbatim_copy_of_the_shipped_app(rendered: Rendered) -> None:
    context = files_under(rendered.env / "build" / "openedx" / "aspects-platform")
    shipped = files_under(installed_path(SHIPPED_FOLDERS["platform-plugin"]))
    assert "pyproject.toml" in context
    assert "aspects_platform/__init__.py" in context
    assert sorted(context) == sorted(shipped)
    changed = [name for name in context if context[name] != shipped[name]]
    assert not changed, f"rendered instead of copied: {changed}"
    # The tier's freshness guard reinstalled the plugin if needed: the image gets this tree.
    assert context == files_under(REPO / "platform-plugin")
