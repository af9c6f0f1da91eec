"""Tracking events -> edx-event-routing-backends -> Ralph -> ClickHouse, in the sandbox LMS."""

import pytest
from aspects_platform.load_test import events
from aspects_platform.load_test.generator import create_course, create_learners

from tests.platform.conftest import wait_for

# xAPI verbs (the xAPI profiles' IRIs) ERB gives each tracking event.
REGISTERED = "http://adlnet.gov/expapi/verbs/registered"
UNREGISTERED = "http://id.tincanapi.com/verb/unregistered"
EVALUATED = "https://w3id.org/xapi/acrossx/verbs/evaluated"
INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
PLAYED = "https://w3id.org/xapi/video/verbs/played"
NAVIGATED = "https://w3id.org/xapi/dod-isd/verbs/navigated"


def verb_counts(xapi_ch) -> dict[str, int]:
    rows = xapi_ch.query(
        "SELECT JSONExtractString(event, 'verb', 'id') AS verb, count() "
        "FROM `xapi_events_all` FINAL GROUP BY verb"
    ).result_rows
    return dict(rows)


@pytest.mark.django_db(transaction=True)
def test_each_tracking_event_becomes_one_xapi_row_with_erb_verb(xapi_pipeline, xapi_ch):
    from common.djangoapps.student.models import CourseEnrollment

    blocks = create_course("XP1", None)
    learners = create_learners("xp_", 3, blocks.course_key)  # 3 x enrollment.activated
    for learner in learners:
        events.problem_check(learner, blocks)
        events.load_video(learner, blocks)
        events.play_video(learner, blocks)
        events.next_selected(learner, blocks)
        CourseEnrollment.unenroll(learner, blocks.course_key)  # enrollment.deactivated

    assert events.flush_pending_events() > 0  # fewer than a batch of 100 were waiting

    assert verb_counts(xapi_ch) == {
        REGISTERED: 3,
        UNREGISTERED: 3,
        EVALUATED: 3,
        INITIALIZED: 3,
        PLAYED: 3,
        NAVIGATED: 3,
    }


@pytest.mark.django_db(transaction=True)
def test_a_full_batch_is_sent_without_flushing(xapi_pipeline, xapi_ch, settings):
    settings.EVENT_ROUTING_BACKEND_BATCH_SIZE = 4
    settings.EVENT_ROUTING_BACKEND_BATCH_INTERVAL = 3600
    blocks = create_course("XP2", None)
    # ERB sends the very first event at once (no "last sent" time yet) ...
    (learner,) = create_learners("xq_", 1, blocks.course_key)
    # ... then keeps events until the batch is full (4 here) or the interval passed.
    for _ in range(4):
        events.play_video(learner, blocks)

    # Posted by the router's background sender (no flush): they arrive on their own.
    expected = {REGISTERED: 1, PLAYED: 4}
    assert wait_for(lambda: verb_counts(xapi_ch) == expected, timeout=60), verb_counts(xapi_ch)
    assert events.flush_pending_events() == 0


@pytest.mark.django_db(transaction=True)
def test_statements_name_the_learner_by_external_id_and_the_course(xapi_pipeline, xapi_ch):
    from openedx.core.djangoapps.external_user_ids.models import ExternalId

    blocks = create_course("XP3", None)
    (learner,) = create_learners("xr_", 1, blocks.course_key)
    events.flush_pending_events()

    actor, course = xapi_ch.query(
        "SELECT JSONExtractString(event, 'actor', 'account', 'name'), "
        "JSONExtractString(event, 'object', 'id') FROM `xapi_events_all` FINAL"
    ).result_rows[0]
    external = ExternalId.objects.get(user=learner, external_id_type__name="xapi")
    assert actor == str(external.external_user_id)
    assert course.endswith(f"/course/{blocks.course_key}")
