"""The instructor dashboards of the Reports tab, read from the Django settings.

``ASPECTS_INSTRUCTOR_DASHBOARDS`` lists the dashboards; ``SUPERSET_DASHBOARD_LOCALES`` the
languages Superset holds a copy of each translatable dashboard in. A copy has the slug
``<slug>-<locale>`` and the UUID ``locale_uuid(uuid, locale)``: the same rule as the Tutor
plugin's asset builder (``tutoraspects/superset_assets/model.py``, which this app cannot
import; a test checks both agree). A bad entry is logged as a configuration error and left
out: it never takes the Instructor Dashboard down.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, TypedDict
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import get_language, to_locale

log = logging.getLogger(__name__)

#: The base dashboards are English: ``en`` never has a copy of its own.
DEFAULT_LOCALE = "en"
#: What a locale of SUPERSET_DASHBOARD_LOCALES looks like: ``fr``, ``fr_CA``, ``es_419``.
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]{2,8})?$")

#: Set once the "no Superset URL" warning has been logged (one line per process, not per page).
_warned_missing_url = False


class Dashboard(TypedDict):
    """One dashboard as the Instructor Dashboard MFE reads it (already localized)."""

    name: str
    slug: str
    uuid: str
    allow_translations: bool


class DashboardLink(TypedDict):
    """One dashboard of the legacy Reports tab and its address in Superset."""

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


def locale_uuid(base_uuid: str, locale: str) -> str:
    """The UUID of the ``locale`` copy of a dashboard (``en`` is the base dashboard)."""
    if locale == DEFAULT_LOCALE:
        return base_uuid
    return str(uuid.uuid5(uuid.UUID(base_uuid), f"locale:{locale}"))


def _dashboard_problem(entry: Any) -> str | None:
    """What is wrong with one ASPECTS_INSTRUCTOR_DASHBOARDS entry, or None."""
    if not isinstance(entry, dict):
        return "is not a dict with name, slug and uuid"
    missing = [key for key in ("slug", "uuid") if not str(entry.get(key) or "").strip()]
    if missing:
        return f"has no {' or '.join(missing)} (each entry needs name, slug and uuid)"
    try:
        uuid.UUID(str(entry["uuid"]))
    except ValueError:
        return f"has uuid {entry['uuid']!r}, which is not a UUID"
    return None


def configured_dashboards() -> list[Dashboard]:
    """The valid ASPECTS_INSTRUCTOR_DASHBOARDS entries (each bad one logged and left out)."""
    dashboards: list[Dashboard] = []
    for index, entry in enumerate(getattr(settings, "ASPECTS_INSTRUCTOR_DASHBOARDS", None) or []):
        problem = _dashboard_problem(entry)
        if problem:
            log.error("Configuration error: ASPECTS_INSTRUCTOR_DASHBOARDS[%d] %s", index, problem)
            continue
        slug = str(entry["slug"]).strip()
        dashboards.append(
            {
                "name": str(entry.get("name") or slug),
                "slug": slug,
                "uuid": str(uuid.UUID(str(entry["uuid"]))),
                "allow_translations": bool(entry.get("allow_translations", False)),
            }
        )
    return dashboards


def dashboard_locales() -> list[str]:
    """SUPERSET_DASHBOARD_LOCALES without ``en`` (each malformed entry logged and left out)."""
    locales: list[str] = []
    for entry in getattr(settings, "SUPERSET_DASHBOARD_LOCALES", None) or []:
        if not isinstance(entry, str) or not LOCALE_PATTERN.match(entry):
            log.error(
                "Configuration error: SUPERSET_DASHBOARD_LOCALES has %r, which is not a locale "
                "such as 'fr' or 'pt_BR'",
                entry,
            )
        elif entry != DEFAULT_LOCALE and entry not in locales:
            locales.append(entry)
    return locales


def user_locale(language: str | None = None) -> str:
    """The dashboard locale for a language code (default: the request's language).

    The LMS activates each user's language preference for the request; ``fr-ca`` picks
    ``fr_CA`` if Superset has it, else ``fr``, else English.
    """
    language = language or get_language() or DEFAULT_LOCALE
    by_lower = {locale.lower(): locale for locale in dashboard_locales()}
    locale = to_locale(language).lower()
    return by_lower.get(locale) or by_lower.get(locale.split("_")[0]) or DEFAULT_LOCALE


def localized(dashboard: Dashboard, locale: str) -> Dashboard:
    """The dashboard's ``locale`` copy, or the dashboard itself when it has none."""
    if locale == DEFAULT_LOCALE or not dashboard["allow_translations"]:
        return dashboard
    return {
        **dashboard,
        "slug": f"{dashboard['slug']}-{locale}",
        "uuid": locale_uuid(dashboard["uuid"], locale),
    }


def user_dashboards(language: str | None = None) -> list[Dashboard]:
    """Every configured dashboard in the user's language (see ``user_locale``)."""
    locale = user_locale(language)
    return [localized(dashboard, locale) for dashboard in configured_dashboards()]


def embedded_uuids() -> list[str]:
    """Every dashboard a guest token opens: each base dashboard and its locale copies."""
    locales = dashboard_locales()
    uuids: list[str] = []
    for dashboard in configured_dashboards():
        for locale in [DEFAULT_LOCALE, *locales]:
            copy = localized(dashboard, locale)["uuid"]
            if copy not in uuids:
                uuids.append(copy)
    return uuids


def dashboard_links(base_url: str, language: str | None = None) -> list[DashboardLink]:
    """The user's dashboards with their Superset URLs under ``base_url``."""
    return [
        {
            "name": dashboard["name"],
            "slug": dashboard["slug"],
            "uuid": dashboard["uuid"],
            "url": f"{base_url}superset/dashboard/{quote(dashboard['slug'], safe='')}/",
        }
        for dashboard in user_dashboards(language)
    ]


def forget_warning() -> None:
    """Let the next missing-URL call warn again (tests)."""
    global _warned_missing_url
    _warned_missing_url = False
