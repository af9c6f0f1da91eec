"""The sandbox's student app sends what edx-platform's sends, where it sends it.

Mirrors common/djangoapps/student/models/course_enrollment.py (enrollment signals and
openedx-events) and common/djangoapps/student/models/user.py (``set_login_session`` and the
``enforce_single_login`` receiver of ``user_logged_in`` / ``user_logged_out``).
"""

from __future__ import annotations

import json

import pytest
from common.djangoapps.student.models import (
    AlreadyEnrolledError,
    CourseEnrollment,
    NonExistentCourseError,
    UserProfile,
)
from common.djangoapps.student.signals import (
    ENROLL_STATUS_CHANGE,
    ENROLLMENT_TRACK_UPDATED,
    UNENROLL_DONE,
)
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx_events.learning.data import CourseEnrollmentData
from openedx_events.learning.signals import (
    COURSE_ENROLLMENT_CHANGED,
    COURSE_ENROLLMENT_CREATED,
    COURSE_UNENROLLMENT_COMPLETED,
)

from tests.platform.factories import make_user

pytestmark = pytest.mark.django_db

KEY = CourseKey.from_string("course-v1:Org+Enroll+2026")
RECORDED = {
    "ENROLL_STATUS_CHANGE": ENROLL_STATUS_CHANGE,
    "ENROLLMENT_TRACK_UPDATED": ENROLLMENT_TRACK_UPDATED,
    "UNENROLL_DONE": UNENROLL_DONE,
    "COURSE_ENROLLMENT_CREATED": COURSE_ENROLLMENT_CREATED,
    "COURSE_ENROLLMENT_CHANGED": COURSE_ENROLLMENT_CHANGED,
    "COURSE_UNENROLLMENT_COMPLETED": COURSE_UNENROLLMENT_COMPLETED,
}


@pytest.fixture(autouse=True)
def sinks_off(settings):
    """These tests are about the stand-ins, not the sinks: keep ClickHouse out of them."""
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED = False


@pytest.fixture
def sent():
    """(signal name, kwargs) of every enrollment signal sent while the test runs, in order."""
    log: list[tuple[str, dict]] = []
    receivers = {}
    for name, signal in RECORDED.items():

        def record(sender=None, _name=name, **kwargs):
            log.append((_name, kwargs))

        receivers[name] = record
        signal.connect(record, weak=False, dispatch_uid=f"test-{name}")
    yield log
    for name, signal in RECORDED.items():
        signal.disconnect(dispatch_uid=f"test-{name}")


def names(log: list[tuple[str, dict]]) -> list[str]:
    """The signal names of a log, emptying it."""
    found = [name for name, _ in log]
    log.clear()
    return found


def test_enrollment_signals_are_sent_where_edx_platform_sends_them(sent):
    user, _ = make_user("learner", name="Lea Learner")

    enrollment = CourseEnrollment.enroll(user, KEY)
    assert (enrollment.mode, enrollment.is_active) == ("audit", True)
    assert names(sent) == [
        "COURSE_ENROLLMENT_CHANGED",
        "ENROLL_STATUS_CHANGE",
        "COURSE_ENROLLMENT_CREATED",
    ]

    CourseEnrollment.enroll(user, KEY)  # already enrolled: nothing saved, still announced
    assert names(sent) == ["ENROLL_STATUS_CHANGE", "COURSE_ENROLLMENT_CREATED"]

    enrollment.update_enrollment(mode="verified")
    assert names(sent) == ["COURSE_ENROLLMENT_CHANGED", "ENROLLMENT_TRACK_UPDATED"]

    enrollment.deactivate()
    assert names(sent) == [
        "COURSE_ENROLLMENT_CHANGED",
        "UNENROLL_DONE",
        "ENROLL_STATUS_CHANGE",
        "COURSE_UNENROLLMENT_COMPLETED",
    ]

    enrollment.activate()
    assert names(sent) == ["COURSE_ENROLLMENT_CHANGED"]

    enrollment.change_mode("verified")  # no change: nothing saved, nothing sent
    enrollment.update_enrollment(is_active=True)
    assert names(sent) == []

    enrollment.change_mode("honor")
    assert names(sent) == ["COURSE_ENROLLMENT_CHANGED", "ENROLLMENT_TRACK_UPDATED"]

    CourseEnrollment.unenroll(user, KEY, skip_refund=True)
    assert [name for name, _ in sent][1:3] == ["UNENROLL_DONE", "ENROLL_STATUS_CHANGE"]
    assert sent[1][1]["skip_refund"] is True
    assert sent[1][1]["course_enrollment"].pk == enrollment.pk
    assert sent[2][1]["event"] == "unenroll"
    stored = CourseEnrollment.objects.get(pk=enrollment.pk)
    assert (stored.mode, stored.is_active) == ("honor", False)


def test_signal_payloads_are_built_as_edx_platform_builds_them(sent):
    user, _ = make_user("payload", name="Pay Load")
    CourseOverview.objects.create(id=KEY, org="Org", display_name="Enrollment course")

    enrollment = CourseEnrollment.enroll(user, KEY, mode="verified")
    assert [name for name, _ in sent] == [
        "COURSE_ENROLLMENT_CHANGED",
        "ENROLLMENT_TRACK_UPDATED",  # created as audit, then upgraded: the mode changed too
        "ENROLL_STATUS_CHANGE",
        "COURSE_ENROLLMENT_CREATED",
    ]
    (_, changed), (_, track), (_, status), (_, created) = sent
    for data in (changed["enrollment"], created["enrollment"]):
        assert isinstance(data, CourseEnrollmentData)
        assert (data.user.id, data.user.is_active) == (user.id, True)
        assert (data.user.pii.username, data.user.pii.email) == ("payload", user.email)
        assert data.user.pii.name == "Pay Load"  # from the profile, as in edx-platform
        assert (data.course.course_key, data.course.display_name) == (KEY, "Enrollment course")
        assert (data.mode, data.is_active) == ("verified", True)
        assert data.creation_date == enrollment.created
    assert changed["metadata"].event_type == "org.openedx.learning.course.enrollment.changed.v1"
    assert created["metadata"].event_type == "org.openedx.learning.course.enrollment.created.v1"
    assert {k: status[k] for k in ("event", "user", "mode", "course_id", "cost", "currency")} == {
        "event": "enroll",
        "user": user,
        "mode": "verified",
        "course_id": KEY,
        "cost": None,
        "currency": None,
    }
    assert {k: track[k] for k in ("user", "course_key", "mode", "countdown")} == {
        "user": user,
        "course_key": KEY,
        "mode": "verified",
        "countdown": 30,
    }


def test_course_data_without_an_overview_has_only_the_key(sent):
    user, _ = make_user("early")
    CourseEnrollment.enroll(user, KEY)
    course = sent[0][1]["enrollment"].course
    assert (course.course_key, course.display_name) == (KEY, "")


def test_get_or_create_enrollment_creates_an_inactive_audit_enrollment_silently(sent):
    user, _ = make_user("pending")
    enrollment = CourseEnrollment.get_or_create_enrollment(user, KEY)
    assert (enrollment.mode, enrollment.is_active) == ("audit", False)
    assert CourseEnrollment.get_or_create_enrollment(user, KEY).pk == enrollment.pk
    assert sent == []
    with pytest.raises(AssertionError):
        CourseEnrollment.get_or_create_enrollment(user, str(KEY))


def test_enroll_checks_access_only_when_asked():
    user, _ = make_user("checked")
    with pytest.raises(NonExistentCourseError):
        CourseEnrollment.enroll(user, KEY, check_access=True)
    CourseEnrollment.enroll(user, KEY)  # legacy flows enroll before the course exists
    CourseOverview.objects.create(id=KEY, org="Org")
    with pytest.raises(AlreadyEnrolledError):
        CourseEnrollment.enroll(user, KEY, check_access=True)
    assert CourseEnrollment.unenroll(user, CourseKey.from_string("course-v1:No+Such+X")) is None


# --- logins (common/djangoapps/student/models/user.py) ------------------------------------


def logged_in_client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password="pw-for-tests")
    return client


def with_password(username: str, **profile_fields):
    user, profile = make_user(username, **profile_fields)
    user.set_password("pw-for-tests")
    user.save()
    return user, profile


def test_login_and_logout_store_the_session_key_in_the_profile_meta():
    user, profile = with_password("single", meta=json.dumps({"company": "Acme"}))
    first = logged_in_client(user)
    first_key = first.session.session_key
    profile.refresh_from_db()
    assert profile.get_meta() == {"company": "Acme", "session_id": first_key}

    second = logged_in_client(user)  # the previous session is ended: one login at a time
    profile.refresh_from_db()
    assert profile.get_meta()["session_id"] == second.session.session_key != first_key
    assert not SessionStore().exists(first_key)

    second.logout()
    profile.refresh_from_db()
    assert profile.get_meta() == {"company": "Acme", "session_id": None}


def test_concurrent_logins_allowed_when_the_feature_is_off(settings):
    settings.FEATURES = {**settings.FEATURES, "PREVENT_CONCURRENT_LOGINS": False}
    user, profile = with_password("many")
    logged_in_client(user)
    profile.refresh_from_db()
    assert profile.meta == ""


def test_login_creates_a_missing_profile_named_after_the_user():
    user, profile = with_password("noprofile")
    profile.delete()
    client = logged_in_client(user)
    profile = UserProfile.objects.get(user=user)
    assert profile.name == "noprofile"
    assert profile.get_meta() == {"session_id": client.session.session_key}


def test_set_meta_and_get_meta_round_trip_json():
    _, profile = make_user("meta")
    assert profile.get_meta() == {}
    profile.set_meta({"a": [1, 2]})
    assert profile.meta == '{"a": [1, 2]}'
    assert profile.get_meta() == {"a": [1, 2]}
