"""The Reports endpoints through the sandbox LMS: guest tokens and the MFE widget's config.

Users get their rights from edx-platform's course roles (``common.djangoapps.student.roles``);
courses come from the modulestore through ``CourseOverview.get_from_id``; tokens are decoded
with PyJWT exactly as Superset checks them (HS256, the shared secret, the audience).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import jwt
import pytest
from aspects_platform import dashboards
from common.djangoapps.student.models import CourseEnrollment, UserProfile
from common.djangoapps.student.roles import (
    CourseBetaTesterRole,
    CourseInstructorRole,
    CourseLimitedStaffRole,
    CourseStaffRole,
    GlobalStaff,
    OrgStaffRole,
)
from django.contrib.auth.models import User
from django.test import override_settings
from opaque_keys.edx.locator import CourseLocator

from tests.platform.factories import published_empty_course

pytestmark = pytest.mark.django_db

#: Test-only values (never a real deployment's).
JWT_SECRET = "test-guest-token-secret-0123456789abcdef"
AUDIENCE = "aspects-test"
LMS_PASSWORD = "lms-superset-password-must-not-leak"
SUPERSET = {
    "service_url": "https://superset.example.org",
    "internal_service_url": "http://superset:8088/",
    "username": "aspects_lms",
    "password": LMS_PASSWORD,
    "guest_token_jwt_secret": JWT_SECRET,
    "guest_token_jwt_audience": AUDIENCE,
}
DASHBOARDS = [
    {
        "name": "Course",
        "slug": "course-dashboard",
        "uuid": "c0e64194-33d1-4d5a-8c10-4f51530c5ee9",
        "allow_translations": True,
    },
    {
        "name": "Untranslated",
        "slug": "no-copies",
        "uuid": "8661d20c-cee6-4245-9fcc-610daea5fd24",
        "allow_translations": False,
    },
]
LOCALES = ["en", "fr", "pt_BR"]
COURSE_A = CourseLocator("OrgA", "C1", "2026")
#: What a browser asks for when the URL is opened directly: the answer is JSON all the same.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
COURSE_B = CourseLocator("OrgB", "C2", "2026")


@pytest.fixture(autouse=True)
def sink_backend():
    """No ClickHouse here: replaces the tier's autouse fixture of the same name."""
    yield


@pytest.fixture(autouse=True)
def reports_settings():
    with override_settings(
        SUPERSET_CONFIG=dict(SUPERSET),
        ASPECTS_INSTRUCTOR_DASHBOARDS=[dict(d) for d in DASHBOARDS],
        SUPERSET_DASHBOARD_LOCALES=list(LOCALES),
        SUPERSET_EXTRA_FILTERS_FORMAT=[],
    ):
        dashboards.forget_warning()
        yield


@pytest.fixture
def courses():
    published_empty_course(COURSE_A, "C1's course")
    published_empty_course(COURSE_B, "C2's course")


def user(username: str, **fields) -> User:
    return User.objects.create(username=username, email=f"{username}@example.com", **fields)


def token_url(course_id) -> str:
    return f"/aspects/superset_guest_token/{course_id}/"


def config_url(course_id) -> str:
    return f"/aspects/superset_instructor_dashboard/{course_id}/"


def decode(token: str) -> dict:
    return jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE)


def every_uuid() -> set[str]:
    """The base dashboards plus the fr and pt_BR copies of the translatable one."""
    base = DASHBOARDS[0]["uuid"]
    return {
        base,
        dashboards.locale_uuid(base, "fr"),
        dashboards.locale_uuid(base, "pt_BR"),
        DASHBOARDS[1]["uuid"],
    }


def grant(role: str, member: User) -> None:
    """Give ``member`` a role with edx-platform's role API."""
    roles = {
        "course_staff": CourseStaffRole(COURSE_A),
        "course_instructor": CourseInstructorRole(COURSE_A),
        "course_limited_staff": CourseLimitedStaffRole(COURSE_A),
        "global_staff": GlobalStaff(),
    }
    roles[role].add_users(member)


@pytest.mark.parametrize(
    "role", ["course_staff", "course_instructor", "course_limited_staff", "global_staff"]
)
def test_staff_get_a_token_for_exactly_their_course_and_the_dashboards(client, courses, role):
    member = user(f"member_{role}", first_name="Ada", last_name="L")
    grant(role, member)
    client.force_login(member)
    response = client.get(token_url(COURSE_A))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    claims = decode(response.json()["guestToken"])
    assert claims["rls_rules"] == [
        {"clause": "org = 'OrgA' AND course_key = 'course-v1:OrgA+C1+2026'"}
    ]
    assert {r["id"] for r in claims["resources"]} == every_uuid()
    assert {r["type"] for r in claims["resources"]} == {"dashboard"}
    assert len(claims["resources"]) == 4
    assert claims["type"] == "guest" and claims["aud"] == AUDIENCE
    assert claims["user"] == {"username": member.username, "first_name": "Ada", "last_name": "L"}
    assert claims["exp"] - claims["iat"] == 300


def test_the_token_is_signed_with_the_shared_secret(client, courses):
    member = user("staff_a")
    CourseStaffRole(COURSE_A).add_users(member)
    client.force_login(member)
    token = client.get(token_url(COURSE_A)).json()["guestToken"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token, "another-secret-of-at-least-32-bytes!", algorithms=["HS256"], audience=AUDIENCE
        )
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience="superset")


def forbidden_users() -> dict[str, User]:
    learner = user("learner")
    UserProfile.objects.create(user=learner, name="Learner")
    CourseEnrollment.enroll(learner, COURSE_A)
    beta = user("beta")
    CourseBetaTesterRole(COURSE_A).add_users(beta)
    other_staff = user("staff_b")
    CourseStaffRole(COURSE_B).add_users(other_staff)
    CourseInstructorRole(COURSE_B).add_users(other_staff)
    org_b_staff = user("org_b_staff")
    OrgStaffRole(org="OrgB").add_users(org_b_staff)
    removed = user("removed_staff")
    CourseStaffRole(COURSE_A).add_users(removed)
    CourseStaffRole(COURSE_A).remove_users(removed)
    inactive = user("inactive_staff")
    CourseStaffRole(COURSE_A).add_users(inactive)
    inactive.is_active = False
    inactive.save()
    return {
        "learner": learner,
        "beta_tester": beta,
        "staff_of_other_course": other_staff,
        "org_staff_of_other_org": org_b_staff,
        "removed_staff": removed,
        "inactive_staff": inactive,
    }


@pytest.mark.parametrize("url", [token_url, config_url], ids=["token", "config"])
def test_everyone_else_gets_403(client, courses, url):
    for name, member in forbidden_users().items():
        client.force_login(member)
        response = client.get(url(COURSE_A))
        assert response.status_code == 403, (name, response.content)
        if member.is_active:  # Django logs no inactive user in: the request is anonymous.
            assert "staff and instructors" in response.json()["detail"]
        assert "guestToken" not in response.json()
    client.logout()
    assert client.get(url(COURSE_A), HTTP_ACCEPT=BROWSER_ACCEPT).status_code == 403
    assert client.get(url(COURSE_A).rstrip("/")).status_code == 403


@pytest.mark.parametrize("url", [token_url, config_url], ids=["token", "config"])
@pytest.mark.parametrize(
    ("course_id", "message"),
    [
        ("course-v1:OrgA+Nope+2026", "No course 'course-v1:OrgA+Nope+2026' exists."),
        ("not-a-course", "'not-a-course' is not a course key"),
    ],
)
def test_unknown_or_invalid_course_is_404_with_a_clear_message(
    client, courses, url, course_id, message
):
    member = user("global")
    GlobalStaff().add_users(member)
    client.force_login(member)
    response = client.get(url(course_id), HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["detail"]


def test_extra_filters_are_formatted_with_user_and_course_and_escaped(client, courses):
    member = user("o'neil\\x")
    CourseStaffRole(COURSE_A).add_users(member)
    client.force_login(member)
    extra = [
        "viewer = '{user.username}'",
        "course_run = '{course_id.run}' AND course_name = '{course.display_name}'",
    ]
    with override_settings(SUPERSET_EXTRA_FILTERS_FORMAT=extra):
        response = client.get(token_url(COURSE_A))
    assert response.status_code == 200, response.content
    assert decode(response.json()["guestToken"])["rls_rules"] == [
        {"clause": "org = 'OrgA' AND course_key = 'course-v1:OrgA+C1+2026'"},
        {"clause": "viewer = 'o\\'neil\\\\x'"},
        {"clause": "course_run = '2026' AND course_name = 'C1\\'s course'"},
    ]


@pytest.mark.parametrize("entry", ["user = '{nope}'", "x = '{user.no_such_field}'", "{", 42])
def test_a_bad_extra_filter_is_a_logged_503_for_the_token_only(client, courses, caplog, entry):
    member = user("staff_a")
    CourseStaffRole(COURSE_A).add_users(member)
    client.force_login(member)
    with override_settings(SUPERSET_EXTRA_FILTERS_FORMAT=["org = '{course_id.org}'", entry]):
        with caplog.at_level(logging.ERROR):
            response = client.get(token_url(COURSE_A))
        widget = client.get(config_url(COURSE_A))
    assert response.status_code == 503
    assert "SUPERSET_EXTRA_FILTERS_FORMAT[1] cannot be formatted" in response.json()["detail"]
    assert "Configuration error: SUPERSET_EXTRA_FILTERS_FORMAT[1]" in caplog.text
    assert widget.status_code == 200


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"guest_token_jwt_secret": ""}, "guest_token_jwt_secret"),
        ({"guest_token_jwt_audience": ""}, "guest_token_jwt_audience"),
        ({"guest_token_jwt_secret": None, "guest_token_jwt_audience": None}, "and"),
    ],
)
def test_without_signing_config_the_token_is_503_without_credentials(
    client, courses, caplog, missing, named
):
    member = user("staff_a")
    CourseStaffRole(COURSE_A).add_users(member)
    client.force_login(member)
    with override_settings(SUPERSET_CONFIG={**SUPERSET, **missing}):
        with caplog.at_level(logging.DEBUG):
            response = client.get(token_url(COURSE_A))
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert named in detail and "cannot be signed" in detail
    for credential in (LMS_PASSWORD, JWT_SECRET):
        assert credential not in response.content.decode()
        assert credential not in caplog.text


def test_widget_config_is_what_the_mfe_reads_in_the_users_language(client, courses):
    member = user("staff_a")
    CourseInstructorRole(COURSE_A).add_users(member)
    client.force_login(member)
    base = DASHBOARDS[0]["uuid"]
    french = client.get(config_url(COURSE_A), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").json()
    assert french == {
        "superset_dashboards": [
            {"name": "Course", "slug": "course-dashboard-fr",
             "uuid": dashboards.locale_uuid(base, "fr"), "allow_translations": True},
            {"name": "Untranslated", "slug": "no-copies", "uuid": DASHBOARDS[1]["uuid"],
             "allow_translations": False},
        ],
        "superset_url": "https://superset.example.org/",
        "superset_guest_token_url": "http://testserver" + token_url(COURSE_A),
        "show_dashboard_link": True,
    }  # fmt: skip
    brazil = client.get(config_url(COURSE_A), HTTP_ACCEPT_LANGUAGE="pt-br").json()
    assert brazil["superset_dashboards"][0]["slug"] == "course-dashboard-pt_BR"
    assert brazil["superset_dashboards"][0]["uuid"] == dashboards.locale_uuid(base, "pt_BR")
    german = client.get(config_url(COURSE_A), HTTP_ACCEPT_LANGUAGE="de").json()
    assert [d["uuid"] for d in german["superset_dashboards"]] == [d["uuid"] for d in DASHBOARDS]
    # The advertised token URL works for the same user.
    token = client.get(french["superset_guest_token_url"]).json()["guestToken"]
    assert {r["id"] for r in decode(token)["resources"]} == every_uuid()
    with override_settings(SUPERSET_SHOW_INSTRUCTOR_DASHBOARD_LINK=False):
        assert client.get(config_url(COURSE_A)).json()["show_dashboard_link"] is False


def test_widget_config_without_service_url_is_503(client, courses):
    member = user("global")
    GlobalStaff().add_users(member)
    client.force_login(member)
    with override_settings(SUPERSET_CONFIG={**SUPERSET, "service_url": ""}):
        response = client.get(config_url(COURSE_A))
    assert response.status_code == 503
    assert "SUPERSET_CONFIG has no service_url" in response.json()["detail"]
    assert LMS_PASSWORD not in response.content.decode()


def test_bad_dashboard_entries_and_locales_are_logged_and_left_out(client, courses, caplog):
    member = user("global")
    GlobalStaff().add_users(member)
    client.force_login(member)
    broken = [
        {"name": "No uuid", "slug": "no-uuid"},
        {"name": "No slug", "uuid": "1d6bf904-f53f-47fd-b1c9-6cd7e284d286"},
        {"name": "Bad uuid", "slug": "bad", "uuid": "not-a-uuid"},
        "just a string",
        *DASHBOARDS,
    ]
    with override_settings(
        ASPECTS_INSTRUCTOR_DASHBOARDS=broken, SUPERSET_DASHBOARD_LOCALES=[*LOCALES, "../etc", 7]
    ):
        with caplog.at_level(logging.ERROR):
            widget = client.get(config_url(COURSE_A))
            token = client.get(token_url(COURSE_A))
    assert widget.status_code == 200 and token.status_code == 200
    assert [d["slug"] for d in widget.json()["superset_dashboards"]] == [
        "course-dashboard",
        "no-copies",
    ]
    assert {r["id"] for r in decode(token.json()["guestToken"])["resources"]} == every_uuid()
    for problem in (
        "ASPECTS_INSTRUCTOR_DASHBOARDS[0] has no uuid",
        "ASPECTS_INSTRUCTOR_DASHBOARDS[1] has no slug",
        "ASPECTS_INSTRUCTOR_DASHBOARDS[2] has uuid 'not-a-uuid', which is not a UUID",
        "ASPECTS_INSTRUCTOR_DASHBOARDS[3] is not a dict",
        "SUPERSET_DASHBOARD_LOCALES has '../etc', which is not a locale",
        "SUPERSET_DASHBOARD_LOCALES has 7",
    ):
        assert problem in caplog.text


@pytest.mark.parametrize(
    "base", ["c0e64194-33d1-4d5a-8c10-4f51530c5ee9", "abae8a25-1ba4-4653-81bd-d3937a162a11"]
)
@pytest.mark.parametrize("locale", ["en", "fr", "pt_BR", "es_419", "zh_HANS"])
def test_locale_copies_have_the_uuid_the_asset_builder_gives_them(base, locale):
    model = pytest.importorskip("tutoraspects.superset_assets.model")
    assert dashboards.locale_uuid(base, locale) == model.locale_uuid(base, locale)


def test_the_vendored_sdk_is_the_pinned_release():
    from aspects_platform import filters

    static = Path(filters.__file__).parent / "static"
    sdk = (static / filters.SDK_STATIC_PATH).read_bytes()
    readme = (static / "aspects_platform" / "vendor" / "README.md").read_text()
    row = next(line for line in readme.splitlines() if Path(filters.SDK_STATIC_PATH).name in line)
    assert re.search(r"\| 0\.4\.0 \|", row)
    assert f"`{hashlib.sha256(sdk).hexdigest()}`" in row
    assert b"supersetEmbeddedSdk" in sdk and (static / filters.EMBED_STATIC_PATH).is_file()
