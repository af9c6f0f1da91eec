"""The instructor dashboards of the Reports tab, read from the Django settings.

Links only: the embedded dashboards (guest tokens, Superset API calls) come later.
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict
from urllib.parse import quote

from django.conf import settings

log = logging.getLogger(__name__)

#: Set once the "no Superset URL" warning has been logged (one line per process, not per page).
_warned_missing_url = False


class DashboardLink(TypedDict):
    """One dashboard of the Reports tab and its address in Superset."""

    name: str
    slug: str
    uuid: str
    url: str


def superset_url() -> str | None:
    """``SUPERSET_CONFIG["service_url"]`` with a trailing slash, or None when it is not set.

    None is logged as a warning once per process: the steps then add nothing, so instructors
    never see links to nowhere.
    """
    global _warned_missing_url
    config: dict[str, Any] = getattr(settings, "SUPERSET_CONFIG", None) or {}
    url = str(config.get("service_url") or "").strip()
    if not url:
        if not _warned_missing_url:
            _warned_missing_url = True
            log.warning("SUPERSET_CONFIG has no service_url: the Aspects Reports tab is not shown.")
        return None
    return url if url.endswith("/") else f"{url}/"


def dashboard_links(base_url: str) -> list[DashboardLink]:
    """Every ``ASPECTS_INSTRUCTOR_DASHBOARDS`` entry with its Superset URL under ``base_url``."""
    links: list[DashboardLink] = []
    for dashboard in getattr(settings, "ASPECTS_INSTRUCTOR_DASHBOARDS", None) or []:
        slug = str(dashboard["slug"])
        links.append(
            {
                "name": str(dashboard["name"]),
                "slug": slug,
                "uuid": str(dashboard["uuid"]),
                "url": f"{base_url}superset/dashboard/{quote(slug, safe='')}/",
            }
        )
    return links


def forget_warning() -> None:
    """Let the next missing-URL call warn again (tests)."""
    global _warned_missing_url
    _warned_missing_url = False
