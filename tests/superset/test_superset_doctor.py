"""The doctor's dashboards check against the real Superset our init job set up.

Superset's ``/embedded/<uuid>`` page needs no login: the check asks it for each configured
dashboard and locale copy, framed from the LMS's origin.
"""

from __future__ import annotations

import uuid

import pytest

from tests.superset.server import SupersetServer
from tutoraspects.superset_assets import content


@pytest.fixture
def lms_settings(superset: SupersetServer):
    """The LMS settings of a deployment rendered with the tier's Tutor configuration."""
    from django.test.utils import override_settings

    config = superset.rendered.config()
    scheme = "https" if config["ENABLE_HTTPS"] else "http"
    instructor = [d for d in content.DASHBOARDS if d.embedded]
    values = {
        "SUPERSET_CONFIG": {"service_url": superset.url + "/"},
        "LMS_ROOT_URL": f"{scheme}://{config['LMS_HOST']}",
        "SUPERSET_DASHBOARD_LOCALES": list(superset.locales),
        "ASPECTS_INSTRUCTOR_DASHBOARDS": [
            {
                "name": d.title,
                "slug": d.slug,
                "uuid": d.uuid,
                "allow_translations": d.allow_translations,
            }
            for d in instructor
        ],
    }
    return values, override_settings


def dashboards_finding():
    from aspects_platform.doctor.pipeline_checks import superset_dashboards

    (finding,) = superset_dashboards(None)
    return finding


def test_every_configured_dashboard_and_copy_is_found(lms_settings) -> None:
    values, override = lms_settings
    with override(**values):
        finding = dashboards_finding()
    assert finding.status == "ok", finding
    copies_per_translated = len(
        [loc for loc in values["SUPERSET_DASHBOARD_LOCALES"] if loc != "en"]
    )
    copies = sum(
        1 + (copies_per_translated if d["allow_translations"] else 0)
        for d in values["ASPECTS_INSTRUCTOR_DASHBOARDS"]
    )
    assert finding.message.startswith(f"{copies} dashboards embedded for "), finding.message


def test_a_dashboard_superset_lacks_and_a_foreign_origin_are_errors(lms_settings) -> None:
    values, override = lms_settings
    absent = str(uuid.uuid4())
    extra = {"name": "Gone", "slug": "gone", "uuid": absent}
    with override(**{**values, "ASPECTS_INSTRUCTOR_DASHBOARDS": [extra]}):
        finding = dashboards_finding()
    assert finding.status == "error"
    assert f"not in Superset: gone ({absent})" in finding.message, finding.message
    assert "import-superset-assets" in finding.action
    with override(**{**values, "LMS_ROOT_URL": "https://elsewhere.example.com"}):
        finding = dashboards_finding()
    assert finding.status == "error"
    assert "https://elsewhere.example.com may not frame: " in finding.message, finding.message
