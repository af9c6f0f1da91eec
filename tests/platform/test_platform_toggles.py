"""A sink runs when its setting OR its waffle flag is on; checked at the signal and in the task."""

import pytest
from aspects_platform import tasks, toggles
from celery.signals import task_prerun
from waffle.models import Flag

from tests.platform.conftest import select
from tests.platform.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

SINKS = ("user_profile", "external_id", "course_enrollment", "course_overviews", "auth_user")


@pytest.fixture
def all_sinks_off(settings):
    for name in SINKS:
        setattr(settings, toggles.setting_name(name), False)


@pytest.fixture
def started_tasks():
    names: list[str] = []

    def record(sender=None, **kwargs):
        names.append(sender.name)

    task_prerun.connect(record, weak=False)
    yield names
    task_prerun.disconnect(record)


def turn_on_flag(name: str) -> None:
    Flag.objects.create(name=toggles.waffle_flag_name(name), everyone=True)


def profile_count(ch) -> int:
    return select(ch, "SELECT count() FROM user_profile")[0][0]


def test_names_follow_the_seed():
    assert toggles.setting_name("user_profile") == "EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED"
    assert toggles.waffle_flag_name("course_overviews") == (
        "event_sink_clickhouse.course_overviews.enabled"
    )


def test_off_by_default_in_the_app_settings():
    from aspects_platform.settings.common import defaults

    values = defaults()
    assert all(values[toggles.setting_name(name)] is False for name in SINKS)


def test_nothing_enqueued_when_both_are_off(ch, all_sinks_off, started_tasks):
    make_user("off")
    assert started_tasks == [], "the signal must not enqueue a task for a disabled sink"
    assert profile_count(ch) == 0


def test_waffle_flag_alone_enables(ch, all_sinks_off):
    turn_on_flag("user_profile")
    assert toggles.is_enabled("user_profile")
    assert not toggles.is_enabled("external_id")
    make_user("flagged")
    assert profile_count(ch) == 1


def test_setting_alone_enables(ch, all_sinks_off, settings):
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = True
    assert not Flag.objects.exists()
    make_user("set")
    assert profile_count(ch) == 1


def test_task_checks_again_when_the_sink_was_turned_off_after_enqueueing(
    ch, all_sinks_off, settings
):
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = True
    _, profile = make_user("late")
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = False
    result = tasks.dump_object_to_clickhouse.apply(args=("user_profile", profile.pk)).get()
    assert result == "disabled"
    assert profile_count(ch) == 1  # only the row written while it was on


def test_retirement_runs_while_any_pii_sink_is_on(all_sinks_off, settings):
    from aspects_platform.sinks import UserRetirementSink

    assert not UserRetirementSink.is_enabled()
    turn_on_flag("external_id")
    assert UserRetirementSink.is_enabled()
