"""Mako rendering as ``common/djangoapps/edxmako/shortcuts.py`` of edx-platform (sandbox only).

Templates are looked up in ``settings.MAKO_TEMPLATE_DIRS_BASE`` (where plugins such as the
Aspects app add their own directories), in order. edx-platform's context processors, template
namespaces and caching are left out.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from mako.lookup import TemplateLookup


def _lookup() -> TemplateLookup:
    dirs = [str(path) for path in getattr(settings, "MAKO_TEMPLATE_DIRS_BASE", [])]
    return TemplateLookup(directories=dirs, input_encoding="utf-8", default_filters=["str"])


def render_to_string(template_name: str, dictionary: dict[str, Any] | None = None) -> str:
    """The template rendered with ``dictionary``."""
    return _lookup().get_template(template_name).render(**(dictionary or {}))


def render_to_response(
    template_name: str, dictionary: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """An HttpResponse with the rendered template."""
    return HttpResponse(render_to_string(template_name, dictionary), status=status)
