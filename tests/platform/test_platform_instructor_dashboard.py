"""The sandbox LMS's legacy Instructor Dashboard page with the Aspects Reports section.

The page (``/courses/<course>/instructor``, edx-platform's view and filter flow) is what the
browser test opens: here, through Django's test client, what it serves and to whom.
"""

from __future__ import annotations

import re

import pytest
from aspects_platform import dashboards, filters
from common.djangoapps.student.roles import CourseBetaTesterRole, CourseStaffRole
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import override_settings
from opaque_keys.edx.locator import CourseLocator

from tests.platform.factories import published_empty_course

pytestmark = pytest.mark.django_db
COURSE = CourseLocator("OrgA", "C1", "2026")
SUPERSET = {
    "service_url": "http://127.0.0.1:8088/",
    "guest_token_jwt_secret": "page-test-secret-0123456789abcdef0123456789",
    "guest_token_jwt_audience": "aspects",
}


@pytest.fixture(autouse=True)
def sink_backend():
    """No ClickHouse here: replaces the tier's autouse fixture of the same name."""
    yield


@pytest.fixture
def course():
    published_empty_course(COURSE, "Reports <Course>")
    dashboards.forget_warning()
    return COURSE


def page(client, username: str, staff: bool):
    member = User.objects.create(username=username)
    role = CourseStaffRole(COURSE) if staff else CourseBetaTesterRole(COURSE)
    role.add_users(member)
    client.force_login(member)
    return client.get(f"/courses/{COURSE}/instructor")


def test_course_staff_get_the_reports_section_embedding_every_dashboard(client, course):
    with override_settings(SUPERSET_CONFIG=SUPERSET):
        response = page(client, "staff", staff=True)
        token = client.get(f"/aspects/superset_guest_token/{COURSE}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<section id="aspects" class="idash-section">' in html
    assert "Reports &lt;Course&gt;" in html  # the sandbox's own section, escaped
    mounts = re.findall(r'data-dashboard-uuid="([0-9a-f-]+)"', html)
    assert mounts == [d["uuid"] for d in dashboards.configured_dashboards()]
    assert len(mounts) == 3
    token_path = f"/aspects/superset_guest_token/{COURSE}/"
    assert f'data-guest-token-url="{token_path}"' in html
    for static_path in (filters.SDK_STATIC_PATH, filters.EMBED_STATIC_PATH):
        assert f'<script src="/static/{static_path}"></script>' in html
        assert finders.find(static_path), f"collectstatic would not find {static_path}"
    # The token URL the page fetches answers this user.
    assert token.status_code == 200 and token.json()["guestToken"]


def test_others_get_no_dashboard_page(client, course):
    with override_settings(SUPERSET_CONFIG=SUPERSET):
        assert page(client, "beta", staff=False).status_code == 404
        assert client.get("/courses/not-a-course/instructor").status_code == 500


def test_without_superset_url_the_page_has_no_reports_section(client, course):
    response = page(client, "staff", staff=True)
    assert response.status_code == 200
    assert 'id="course_info"' in response.content.decode()
    assert 'id="aspects"' not in response.content.decode()
