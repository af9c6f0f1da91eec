"""Course content as the real platform produces it: drafts, publish storms, receiver order.

Studio (the CMS) reads draft-preferred, the LMS published-only; COURSE_PUBLISHED fires on
every publish and on every edit of a course/section/subsection; the platform refreshes
CourseOverview in a sibling receiver. ``course_blocks`` must only ever hold published content.
"""

import pytest
from aspects_platform import signals as app_signals
from aspects_platform import tasks
from celery.signals import before_task_publish
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from edx_django_utils.cache import DEFAULT_REQUEST_CACHE, RequestCache
from openedx.core.djangoapps.content.course_overviews import signals as overview_signals
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from xmodule.modulestore import ModuleStoreEnum
from xmodule.modulestore.django import COURSE_PUBLISHED, modulestore

from tests.platform.conftest import latest_outline, select, wait_for
from tests.platform.factories import USER_ID, build_course

pytestmark = pytest.mark.django_db(transaction=True)
STUDIO = ModuleStoreEnum.Branch.draft_preferred
PROCESS_BRANCHES = {"lms": None, "cms": "draft-preferred"}


@pytest.fixture(params=sorted(PROCESS_BRANCHES))
def process(request, settings):
    """Run the test as the LMS (published-only) and as the CMS (draft-preferred)."""
    settings.MODULESTORE_BRANCH = PROCESS_BRANCHES[request.param]
    return request.param


@pytest.fixture(autouse=True)
def no_pending_dumps():
    cache.clear()
    yield
    cache.clear()


def edit(key, block_type: str, block_id: str, **fields) -> None:
    """Change settings of a block in Studio and save it (``update_item``)."""
    store = modulestore()
    with store.branch_setting(STUDIO, key):
        block = store.get_item(key.make_usage_key(block_type, block_id))
        for name, value in fields.items():
            setattr(block, name, value)
        store.update_item(block, USER_ID)


def names(ch, key) -> dict[str, str]:
    return {
        loc.split("@")[-1]: name for loc, name in latest_outline(ch, key, "location, display_name")
    }


def test_drafts_never_reach_course_blocks(ch, process):
    key = build_course()
    store = modulestore()
    with store.branch_setting(STUDIO, key):
        unit = store.create_child(USER_ID, key.make_usage_key("sequential", "a2"), "vertical",
                                  "draft_unit", fields={"display_name": "Draft unit"})  # fmt: skip
        store.create_child(USER_ID, unit.location, "problem", "draft_problem")
    edit(key, "vertical", "a1a", display_name="Unpublished rename")
    with store.branch_setting(STUDIO, key):
        store.delete_item(key.make_usage_key("problem", "p1"), USER_ID)  # signals, draft only
    edit(key, "chapter", "a", display_name="Section A, renamed")  # direct-only: published
    outline = names(ch, key)
    assert outline["a"] == "Section A, renamed", "the section rename was published and written"
    assert outline["a1a"] == "Unit A1a", "the unit rename is a draft"
    assert "p1" in outline, "deleted in draft only: the LMS still serves it"
    assert not {"draft_unit", "draft_problem"} & set(outline)

    store.publish(key.make_usage_key("vertical", "a1a"), USER_ID)
    outline = names(ch, key)
    assert (outline["a1a"], "p1" in outline) == ("Unpublished rename", False)
    assert "draft_unit" not in outline


def test_graded_is_inherited_from_the_subsection(ch, process):
    key = build_course()
    graded = dict(latest_outline(ch, key, "block_type || ':' || splitByChar('@', location)[-1], "
                                 "graded"))  # fmt: skip
    assert all(graded[b] for b in ("sequential:a1", "vertical:a1a", "problem:p1", "html:h1",
                                   "vertical:a1b", "video:v1"))  # fmt: skip
    assert not any(graded[b] for b in ("chapter:a", "sequential:a2", "vertical:a2a"))
    edit(key, "sequential", "a2", graded=True)  # direct-only: published with its children
    assert latest_outline(ch, key, "graded")[8:10] == [(True,), (True,)]  # a2, a2a


def test_a_deleted_unit_leaves_the_latest_outline_but_dashboards_can_tell(ch):
    key = build_course()
    with modulestore().branch_setting(STUDIO, key):
        modulestore().delete_item(key.make_usage_key("vertical", "a1b"), USER_ID)
    assert not {"a1b", "v1"} & set(names(ch, key)), "a unit delete publishes its subsection"
    stored = select(ch, "SELECT splitByChar('@', location)[-1] FROM course_blocks FINAL")
    assert {"a1b", "v1"} <= {row[0] for row in stored}, "older rows stay, older time_last_dumped"


def _app_receiver_first() -> None:
    COURSE_PUBLISHED.disconnect(overview_signals._listen_for_course_publish)
    COURSE_PUBLISHED.connect(overview_signals._listen_for_course_publish)


@pytest.mark.parametrize("order", ["platform_first", "app_first"])
def test_the_overview_written_is_never_the_previous_one(ch, process, order):
    key = build_course()
    assert CourseOverview.get_from_id(key).display_name == "C1 course"  # now request-cached
    uid = app_signals.dispatch_uid(app_signals.on_course_published)
    try:
        if order == "app_first":
            _app_receiver_first()
        edit(key, "course", "course", display_name="Renamed course")
    finally:
        COURSE_PUBLISHED.disconnect(overview_signals._listen_for_course_publish)
        COURSE_PUBLISHED.disconnect(dispatch_uid=uid)
        COURSE_PUBLISHED.connect(overview_signals._listen_for_course_publish)
        COURSE_PUBLISHED.connect(app_signals.on_course_published, dispatch_uid=uid)
    latest = select(ch, "SELECT display_name FROM course_overviews FINAL")
    assert latest == [("Renamed course",)]
    assert names(ch, key)["course"] == "Renamed course"


def test_a_publish_storm_costs_one_write(ch, settings, worker):
    settings.EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS = 1
    key = build_course(publish=False)
    sent = []

    def count(sender=None, **kwargs):
        sent.append(sender)

    before_task_publish.connect(count, weak=False, dispatch_uid="storm")
    try:
        with transaction.atomic():  # every publish of the storm is committed at once
            for number in range(20):
                edit(key, "chapter", "a", display_name=f"Section A v{number}")
    finally:
        before_task_publish.disconnect(dispatch_uid="storm")
    assert sent == ["aspects_platform.tasks.dump_course_to_clickhouse"]
    assert wait_for(lambda: select(ch, "SELECT count() FROM course_overviews") == [(1,)])
    assert wait_for(lambda: cache.get(tasks.course_dump_pending_key(str(key))) is None)
    assert names(ch, key)["a"] == "Section A v19", "the one write has the last publish"
    assert select(ch, "SELECT uniqExact(dump_id) FROM course_blocks") == [(1,)]


def test_bulk_course_dump_clears_the_request_cache_between_pages(ch):
    keys = [build_course(number=f"M{i}") for i in range(7)]
    RequestCache.clear_all_namespaces()
    call_command("dump_data_to_clickhouse", "--object", "course_overviews", "--force",
                 "--batch_size", "2")  # fmt: skip
    assert select(ch, "SELECT uniqExact(course_key) FROM course_blocks") == [(len(keys),)]
    assert len(DEFAULT_REQUEST_CACHE.data.get("course_cache", {})) <= 2


def test_a_course_deleted_before_its_dump_runs_is_reported_and_not_written(ch, caplog):
    """A publish schedules the dump a few seconds later; a course deleted in between (Studio's
    delete_course) is not in the modulestore when the task runs: the task says so and writes
    nothing, instead of dumping a course that no longer exists."""
    key = build_course()
    modulestore().delete_course(key, USER_ID)
    counts = "SELECT (SELECT count() FROM course_overviews), (SELECT count() FROM course_blocks)"
    before = select(ch, counts)
    with caplog.at_level("WARNING", logger="aspects_platform.tasks"):
        outcome = tasks.dump_course_to_clickhouse.apply(args=(str(key),)).get()
    assert outcome == "not found"
    assert f"Course {key} is not in the modulestore: nothing written" in caplog.text
    assert select(ch, counts) == before


@pytest.mark.parametrize(
    ("branch", "version"),
    [
        (None, None),
        ("published-branch", None),
        (None, "5f1e4c3b2a1d0e9f8a7b6c5d"),
        ("draft-branch", "5f1e4c3b2a1d0e9f8a7b6c5d"),
    ],
)
def test_block_locations_are_written_without_branch_or_version(branch, version):
    """Split's blocks carry the branch and structure version they were read from in their keys
    (split_mongo/split.py builds each course entry's key with ``version_guid``); the written
    location is the plain key analytics joins on, whichever the key carried."""
    from aspects_platform.sinks.course_blocks import _location_text
    from opaque_keys.edx.locator import CourseLocator

    course = CourseLocator("OrgX", "C1", "2026", branch=branch, version_guid=version)
    location = course.make_usage_key("problem", "p1")
    assert _location_text(location) == "block-v1:OrgX+C1+2026+type@problem+block@p1"
