"""Checks of what runs beside the LMS: xAPI statements (lag), Ralph, Superset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.apps import apps
from django.conf import settings

from aspects_platform import dashboards
from aspects_platform.clickhouse.connection import display_url
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.doctor.context import DoctorContext
from aspects_platform.doctor.findings import (
    ERROR,
    NOT_CONFIGURED,
    OK,
    WARNING,
    Finding,
    check,
    one_line,
)
from aspects_platform.sinks.encoding import naive_utc

#: Newest xAPI statement older than this: a warning (statements stopped arriving?).
XAPI_LAG_WARNING_SECS = 3600.0
HTTP_TIMEOUT_SECS = 5.0
ERB_APP = "event_routing_backends"


def lrs_urls() -> list[str] | None:
    """Route URLs of ERB's enabled RouterConfiguration rows; None without ERB."""
    if not apps.is_installed(ERB_APP):
        return None
    from event_routing_backends.models import RouterConfiguration

    current = RouterConfiguration.objects.current_set().filter(enabled=True)
    return sorted({url for url in current.values_list("route_url", flat=True) if url})


def _age(newest: datetime) -> float:
    return (datetime.now(UTC).replace(tzinfo=None) - naive_utc(newest)).total_seconds()


@check("xapi_lag")
def xapi_lag(ctx: DoctorContext) -> Iterator[Finding]:
    """Age of the newest statement in the xAPI table."""
    routes = lrs_urls()
    if routes is None:
        yield Finding("xapi_lag", NOT_CONFIGURED, "event-routing-backends is not installed")
        return
    schema = ctx.schema
    table = f"{quote_identifier(schema.xapi_database)}.{quote_identifier(schema.xapi_table)}"
    newest, rows = (
        ctx.client()
        .query(f"SELECT max(emission_time), count() FROM {table}")  # noqa: S608
        .result_rows[0]
    )
    if not rows:
        if routes:
            yield Finding(
                "xapi_lag",
                WARNING,
                f"no statement in {schema.xapi_database}.{schema.xapi_table} yet",
                "check ERB's Celery tasks and the ralph line",
            )
        else:
            yield Finding("xapi_lag", NOT_CONFIGURED, "no xAPI route and no statement yet")
        return
    age = _age(newest)
    found = f"newest statement {age:,.0f} s old ({rows:,} statements)"
    if age > XAPI_LAG_WARNING_SECS:
        yield Finding(
            "xapi_lag",
            WARNING,
            f"{found}: none in the last {XAPI_LAG_WARNING_SECS:g} s",
            "check the ralph line, ERB's Celery workers and their queue",
        )
    else:
        yield Finding("xapi_lag", OK, found)


def _http_finding(name: str, url: str, action: str) -> Finding:
    """ok when ``url`` answers 200; an error naming what went wrong otherwise."""
    shown = display_url(url)
    try:
        status = requests.get(url, timeout=HTTP_TIMEOUT_SECS).status_code
    except requests.RequestException as exc:
        return Finding(
            name, ERROR, f"{shown}: {one_line(f'{type(exc).__name__}: {exc}', 200)}", action
        )
    if status == 200:
        return Finding(name, OK, f"{shown} answers 200")
    return Finding(name, ERROR, f"{shown}: HTTP {status}", action)


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


@check("ralph")
def ralph(ctx: DoctorContext) -> Iterator[Finding]:
    """Ralph's /__heartbeat__ at the LRS of each enabled ERB route."""
    routes = lrs_urls()
    if not routes:
        why = "event-routing-backends is not installed" if routes is None else "no xAPI route"
        yield Finding("ralph", NOT_CONFIGURED, f"{why} (ERB RouterConfiguration)")
        return
    action = (
        "start Ralph (`tutor local start ralph`) or fix the route in ERB's RouterConfiguration "
        "(Django admin)"
    )
    for base in sorted({_base(url) for url in routes}):
        yield _http_finding("ralph", f"{base}/__heartbeat__", action)


def superset_url() -> str:
    config = getattr(settings, "SUPERSET_CONFIG", {}) or {}
    return config.get("internal_service_url") or config.get("service_url") or ""


@check("superset")
def superset(ctx: DoctorContext) -> Iterator[Finding]:
    """Superset's /health (SUPERSET_CONFIG internal_service_url, else service_url)."""
    url = superset_url()
    if not url:
        yield Finding("superset", NOT_CONFIGURED, "SUPERSET_CONFIG has no service URL")
        return
    yield _http_finding(
        "superset",
        url.rstrip("/") + "/health",
        "start Superset (`tutor local start superset`) or fix SUPERSET_CONFIG",
    )


def _embedded_status(base: str, dashboard_uuid: str, origin: str) -> int | str:
    """HTTP status of Superset's embedded page of ``dashboard_uuid`` framed by ``origin``."""
    try:
        return requests.get(
            f"{base}/embedded/{dashboard_uuid}",
            headers={"Referer": f"{origin}/"},
            timeout=HTTP_TIMEOUT_SECS,
            allow_redirects=False,
        ).status_code
    except requests.RequestException as exc:
        return one_line(f"{type(exc).__name__}: {exc}", 200)


@check("superset_dashboards")
def superset_dashboards(ctx: DoctorContext) -> Iterator[Finding]:
    """Each configured dashboard and locale copy is embedded in Superset for the LMS.

    Superset's ``/embedded/<uuid>`` page needs no login: 404 when no dashboard is embedded
    under that UUID, 403 when the framing origin (the Referer) is not an allowed domain.
    """
    url = superset_url()
    if not url:
        yield Finding("superset_dashboards", NOT_CONFIGURED, "SUPERSET_CONFIG has no service URL")
        return
    copies = [
        dashboards.localized(dashboard, locale)
        for dashboard in dashboards.configured_dashboards()
        for locale in [dashboards.DEFAULT_LOCALE, *dashboards.dashboard_locales()]
        if locale == dashboards.DEFAULT_LOCALE or dashboard["allow_translations"]
    ]
    if not copies:
        yield Finding(
            "superset_dashboards", NOT_CONFIGURED, "ASPECTS_INSTRUCTOR_DASHBOARDS is empty"
        )
        return
    origin = _base(getattr(settings, "LMS_ROOT_URL", "") or "http://localhost")
    base = url.rstrip("/")
    missing, refused, failed = [], [], []
    for copy in copies:
        status = _embedded_status(base, copy["uuid"], origin)
        named = f"{copy['slug']} ({copy['uuid']})"
        if status == 404:
            missing.append(named)
        elif status == 403:
            refused.append(named)
        elif status != 200:
            failed.append(f"{named}: {status if isinstance(status, str) else f'HTTP {status}'}")
    problems = [
        *([f"not in Superset: {', '.join(missing)}"] if missing else []),
        *([f"{origin} may not frame: {', '.join(refused)}"] if refused else []),
        *failed,
    ]
    if problems:
        yield Finding(
            "superset_dashboards",
            ERROR,
            "; ".join(problems),
            "`tutor local do import-superset-assets` imports and embeds them again (allowed "
            "domains: the LMS and CMS origins)",
        )
        return
    yield Finding(
        "superset_dashboards",
        OK,
        f"{len(copies)} dashboards embedded for {origin}: "
        + ", ".join(copy["slug"] for copy in copies),
    )
