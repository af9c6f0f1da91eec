"""CCX: publishing a master course also dumps its CCX courses (FEATURES["CUSTOM_COURSES_EDX"])."""

import pytest
from ccx_keys.locator import CCXLocator
from django.contrib.auth.models import User
from lms.djangoapps.ccx.models import CustomCourseForEdX
from xmodule.modulestore.django import clear_existing_modulestores

from tests.platform.conftest import latest_outline, select
from tests.platform.factories import EXPECTED_OUTLINE, build_course, publish_course

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ccx_feature(settings):
    """Turn CCX on; the modulestore is built again (then wrapped for CCX keys, as in the LMS)."""

    def switch(enabled: bool) -> None:
        settings.FEATURES = {**settings.FEATURES, "CUSTOM_COURSES_EDX": enabled}
        clear_existing_modulestores()

    yield switch
    clear_existing_modulestores()


def overview_rows(ch) -> list[tuple]:
    return select(ch, "SELECT course_key, org, display_name FROM course_overviews FINAL "
                      "ORDER BY course_key")  # fmt: skip


def make_ccx(course_key, name: str = "Evening class") -> CustomCourseForEdX:
    coach = User.objects.create(username=f"coach{CustomCourseForEdX.objects.count()}")
    return CustomCourseForEdX.objects.create(course_id=course_key, display_name=name, coach=coach)


def test_publish_dumps_each_ccx_of_the_course(ch, ccx_feature):
    ccx_feature(True)
    course_key = build_course()
    first, second = make_ccx(course_key), make_ccx(course_key, "Weekend class")
    other = make_ccx(build_course(number="C2"))  # another master course's CCX: not dumped
    ch.command("TRUNCATE TABLE course_overviews")
    ch.command("TRUNCATE TABLE course_blocks")
    publish_course(course_key)
    ccx_keys = [str(CCXLocator.from_course_locator(course_key, str(c.id))) for c in (first, second)]
    assert first.locator == CCXLocator.from_string(ccx_keys[0])
    assert overview_rows(ch) == sorted(
        [(str(course_key), "OrgX", "C1 course")] + [(key, "OrgX", "C1 course") for key in ccx_keys]
    )
    assert str(other.locator) not in {row[0] for row in overview_rows(ch)}
    master = latest_outline(ch, course_key, "location, section, subsection, unit, detached")
    for ccx_key in ccx_keys:
        outline = latest_outline(ch, ccx_key, "location, section, subsection, unit, detached")
        # The master course's outline, under the CCX's keys.
        assert [row[1:] for row in outline] == [row[1:] for row in master]
        assert [row[0] for row in outline] == [
            str(CCXLocator.from_string(ccx_key).make_usage_key(block_type, block_id))
            for block_type, block_id, *_ in EXPECTED_OUTLINE
        ]
        assert all(row[0].startswith("ccx-block-v1:OrgX+C1+2026+ccx@") for row in outline)


def test_no_ccx_dump_while_the_feature_is_off(ch, ccx_feature):
    ccx_feature(False)
    course_key = build_course()
    make_ccx(course_key)
    publish_course(course_key)
    assert overview_rows(ch) == [(str(course_key), "OrgX", "C1 course")]
    assert select(ch, "SELECT count() FROM course_blocks WHERE course_key LIKE 'ccx-v1:%'") == [
        (0,)
    ]


def test_ccx_on_without_a_readable_ccx_model_still_dumps_the_master_course(
    ch, ccx_feature, settings, caplog
):
    """CCX switched on while the CCX model cannot be imported (a wrong MODEL_CONFIG entry):
    the master course is still written, and the operator is told why no CCX is."""
    ccx_feature(True)
    settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG = {
        **settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG,
        "custom_course_edx": {"module": "no_such.ccx.models", "model": "Nope"},
    }
    course_key = build_course()
    make_ccx(course_key)
    ch.command("TRUNCATE TABLE course_overviews")
    with caplog.at_level("WARNING", logger="aspects_platform.sinks.course_overviews"):
        publish_course(course_key)
    assert overview_rows(ch) == [(str(course_key), "OrgX", "C1 course")]
    warnings = [r for r in caplog.records if "CCX courses cannot be read" in r.getMessage()]
    assert warnings, "the operator is told why no CCX is written"
    for warning in warnings:
        assert warning.exc_info and "no_such.ccx.models" in str(warning.exc_info[1]), "why"
