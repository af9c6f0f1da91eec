"""The Reports tab of the sandbox LMS's legacy Instructor Dashboard in headless Chromium.

Without Superset: the page loads the vendored Embedded SDK from the LMS's static files (no
request leaves the LMS and Superset's origins), fetches a guest token from the LMS as the
logged-in course staff member, and gives each configured dashboard an iframe on Superset's
``/embedded/<uuid>`` page. With the Superset tier's server (``tests/superset``), each
dashboard renders with its charts drawn.
"""

from __future__ import annotations

import re

import jwt
import pytest
from aspects_platform import dashboards
from common.djangoapps.student.roles import CourseStaffRole
from django.contrib.auth.models import User
from opaque_keys.edx.locator import CourseLocator

from sandbox.clickhouse_server.process import HOST, free_port
from tests.platform.factories import published_empty_course

COURSE = CourseLocator("OrgA", "C1", "2026")
SECRET = "browser-test-secret-0123456789abcdef0123456789"
AUDIENCE = "aspects"


@pytest.fixture
def staff_page(chromium, lms, login_cookie):
    """A browser page logged in as the course's staff, and the course."""
    published_empty_course(COURSE, "Browser course")
    member = User.objects.create(username="browser_staff", email="staff@example.com")
    CourseStaffRole(COURSE).add_users(member)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([login_cookie(member)])
    page = context.new_page()
    yield page
    context.close()


def test_reports_tab_embeds_each_dashboard_with_the_pinned_sdk(
    staff_page, lms, settings, artifacts
):
    superset = f"http://{HOST}:{free_port()}"  # nothing listens: no Superset in this test
    settings.SUPERSET_CONFIG = {
        "service_url": superset,
        "guest_token_jwt_secret": SECRET,
        "guest_token_jwt_audience": AUDIENCE,
    }
    dashboards.forget_warning()
    requested: list[str] = []
    staff_page.on("request", lambda request: requested.append(request.url))
    token_path = f"/aspects/superset_guest_token/{COURSE}/"
    with staff_page.expect_response(lambda r: token_path in r.url) as token_response:
        staff_page.goto(f"{lms}/courses/{COURSE}/instructor")
    response = token_response.value
    assert response.status == 200
    claims = jwt.decode(
        response.json()["guestToken"], SECRET, algorithms=["HS256"], audience=AUDIENCE
    )
    assert claims["user"]["username"] == "browser_staff"
    expected = [d["uuid"] for d in dashboards.configured_dashboards()]
    frames = staff_page.locator(".aspects-dashboard-embed iframe")
    frames.first.wait_for(state="attached")
    assert frames.count() == len(expected) == 3
    sources = [frames.nth(i).get_attribute("src") for i in range(frames.count())]
    for source, uuid in zip(sources, expected, strict=True):
        assert re.match(rf"^{re.escape(superset)}/embedded/{uuid}(\?|$)", source), source
    sdk = f"{lms}/static/aspects_platform/vendor/superset-embedded-sdk-0.4.0.js"
    assert sdk in requested
    assert all(url.startswith((lms, superset)) for url in requested), requested
    staff_page.screenshot(path=str(artifacts / "reports-tab-without-superset.png"), full_page=True)
