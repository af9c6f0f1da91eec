"""Every enrollment change reaches ``course_enrollment`` once; nothing breaks the saving request.

Changes are made with edx-platform's API (common/djangoapps/student/models/course_enrollment.py):
``enroll``, ``update_enrollment``, ``change_mode``, ``deactivate``, ``activate``, ``unenroll``.
"""

from __future__ import annotations

import logging

import pytest
from common.djangoapps.student.models import CourseEnrollment
from django.db import connection, transaction
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.signals import COURSE_ENROLLMENT_CHANGED

from tests.platform.conftest import select, wait_for
from tests.platform.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merges_stopped")]

KEY = CourseKey.from_string("course-v1:OrgX+Changes+2026")


def enrollment_rows(ch, user_id: int) -> list[tuple]:
    return select(
        ch,
        "SELECT id, course_key, is_active, mode, username FROM course_enrollment "
        "WHERE user_id = {uid:Int64} ORDER BY time_last_dumped",
        uid=user_id,
    )


def test_every_change_writes_one_row_with_the_new_state(ch):
    user, _ = make_user("changer")
    enrollment = CourseEnrollment.enroll(user, KEY)
    CourseEnrollment.enroll(user, KEY)  # already enrolled: nothing changed, nothing written
    enrollment.update_enrollment(mode="verified")  # audit -> verified upgrade
    enrollment.change_mode("honor")
    enrollment.deactivate()
    enrollment.activate()  # reactivation
    CourseEnrollment.unenroll(user, KEY)

    states = [(active, mode) for _, _, active, mode, _ in enrollment_rows(ch, user.id)]
    assert states == [
        (True, "audit"),
        (True, "verified"),
        (True, "honor"),
        (False, "honor"),
        (True, "honor"),
        (False, "honor"),
    ]
    assert {row[:2] + row[4:] for row in enrollment_rows(ch, user.id)} == {
        (enrollment.pk, str(KEY), "changer")
    }
    # Another service's event replayed here from the event bus is that service's to write.
    COURSE_ENROLLMENT_CHANGED.send_event_with_custom_metadata(
        COURSE_ENROLLMENT_CHANGED.generate_signal_metadata(),
        enrollment=_changed_event_of(enrollment),
    )
    assert len(enrollment_rows(ch, user.id)) == len(states)


def test_upgrade_and_reactivation_in_requests_reach_clickhouse_through_the_worker(ch, worker):
    user, _ = make_user("upgrader")
    with transaction.atomic():  # one request (ATOMIC_REQUESTS, as the LMS runs)
        enrollment = CourseEnrollment.enroll(user, KEY)
    with transaction.atomic():
        enrollment.update_enrollment(mode="verified")
    with transaction.atomic():
        CourseEnrollment.unenroll(user, KEY)
    with transaction.atomic():  # a later request: its own copy of the enrollment
        CourseEnrollment.objects.get(user=user, course_id=KEY).activate()

    def states():
        return [(active, mode) for _, _, active, mode, _ in enrollment_rows(ch, user.id)]

    # One row per change; each task writes the state it reads, so the last one is the latest.
    assert wait_for(lambda: len(states()) >= 4), states()
    assert len(states()) == 4
    assert states()[-1] == (True, "verified")


def _changed_event_of(enrollment):
    from openedx_events.learning.data import (
        CourseData,
        CourseEnrollmentData,
        UserData,
        UserPersonalData,
    )

    user = enrollment.user
    return CourseEnrollmentData(
        user=UserData(
            pii=UserPersonalData(username=user.username, email=user.email, name=""),
            id=user.id,
            is_active=user.is_active,
        ),
        course=CourseData(course_key=enrollment.course_id),
        mode="honor",
        is_active=True,
        creation_date=enrollment.created,
    )


def test_a_failing_enrollment_lookup_never_breaks_the_saving_request(ch, caplog):
    """The request committed its change; a database error after the commit is only logged."""
    user, _ = make_user("unlucky")
    table = CourseEnrollment._meta.db_table

    def break_the_table() -> None:  # runs after the commit, before the app's lookup
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_away"')

    caplog.set_level(logging.ERROR, logger="aspects_platform.signals")
    try:
        with transaction.atomic():
            transaction.on_commit(break_the_table)
            CourseEnrollment.enroll(user, KEY)  # must not raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}_away" RENAME TO "{table}"')
    assert CourseEnrollment.is_enrolled(user, KEY)
    assert enrollment_rows(ch, user.id) == []
    [record] = [r for r in caplog.records if r.name == "aspects_platform.signals"]
    assert f"user {user.id} in {KEY}" in record.getMessage()
    assert record.exc_info is not None
