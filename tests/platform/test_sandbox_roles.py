"""The sandbox's ``common.djangoapps.student.roles`` behaves as edx-platform's legacy roles."""

from __future__ import annotations

import pytest
from common.djangoapps.student.models import CourseAccessRole
from common.djangoapps.student.roles import (
    CourseInstructorRole,
    CourseLimitedStaffRole,
    CourseStaffRole,
    GlobalStaff,
    OrgStaffRole,
)
from django.contrib.auth.models import AnonymousUser, User
from opaque_keys.edx.locator import CourseLocator

pytestmark = pytest.mark.django_db
COURSE = CourseLocator("OrgA", "C1", "2026")
SAME_ORG_OTHER_COURSE = CourseLocator("OrgA", "C2", "2026")


@pytest.fixture(autouse=True)
def sink_backend():
    """No ClickHouse here: replaces the tier's autouse fixture of the same name."""
    yield


def make(username: str, **fields) -> User:
    return User.objects.create(username=username, **fields)


def test_course_roles_are_rows_per_course_and_org():
    staff = make("staff")
    CourseStaffRole(COURSE).add_users(staff)
    CourseStaffRole(COURSE).add_users(staff)  # get_or_create: still one row
    assert list(CourseAccessRole.objects.values_list("org", "course_id", "role")) == [
        ("OrgA", COURSE, "staff")
    ]
    assert CourseStaffRole(COURSE).has_user(staff)
    assert not CourseInstructorRole(COURSE).has_user(staff)
    assert not CourseStaffRole(SAME_ORG_OTHER_COURSE).has_user(staff)
    assert list(CourseStaffRole(COURSE).users_with_role()) == [staff]


def test_limited_staff_counts_as_course_staff():
    limited = make("limited")
    CourseLimitedStaffRole(COURSE).add_users(limited)
    assert CourseStaffRole(COURSE).has_user(limited)
    assert CourseAccessRole.objects.get(user=limited).role == "limited_staff"


def test_org_roles_are_not_course_roles():
    org_staff = make("org_staff")
    OrgStaffRole(org="OrgA").add_users(org_staff)
    assert OrgStaffRole(org="OrgA").has_user(org_staff)
    assert not CourseStaffRole(COURSE).has_user(org_staff)
    assert list(OrgStaffRole(org="OrgA").users_with_role()) == [org_staff]


def test_roles_are_cached_on_the_user_until_changed():
    member = make("member")
    assert not CourseStaffRole(COURSE).has_user(member)
    CourseStaffRole(COURSE).add_users(member)
    assert CourseStaffRole(COURSE).has_user(member)  # add_users dropped the cache
    CourseAccessRole.objects.all().delete()  # behind the roles' back: the cache still says yes
    assert CourseStaffRole(COURSE).has_user(member)
    CourseStaffRole(COURSE).remove_users(member)
    assert not CourseStaffRole(COURSE).has_user(member)


def test_inactive_and_anonymous_users_have_no_course_role():
    inactive = make("inactive", is_active=False)
    CourseStaffRole(COURSE).add_users(inactive)  # silently skipped, as edx-platform does
    assert not CourseAccessRole.objects.exists()
    CourseAccessRole.objects.create(user=inactive, org="OrgA", course_id=COURSE, role="staff")
    assert not CourseStaffRole(COURSE).has_user(inactive)
    assert CourseStaffRole(COURSE).has_user(inactive, check_user_activation=False)
    assert not CourseStaffRole(COURSE).has_user(AnonymousUser())


def test_global_staff_is_is_staff():
    member = make("member")
    assert not GlobalStaff().has_user(member)
    GlobalStaff().add_users(member)
    member.refresh_from_db()
    assert member.is_staff and GlobalStaff().has_user(member)
    GlobalStaff().remove_users(member)
    assert not User.objects.get(pk=member.pk).is_staff
    assert not GlobalStaff().has_user(None)
