"""Tagging sinks: taxonomy, tag and object_tag rows on save and delete, the tagged course dumped
again with its ``tags`` keys, the dump command and the switches (sandbox LMS + ClickHouse)."""

import io
import json
import re

import pytest
from aspects_platform import tasks
from celery.signals import before_task_publish
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import transaction
from openedx_tagging.core.tagging import api as tagging
from openedx_tagging.core.tagging.models import ObjectTag, Tag, Taxonomy
from waffle.models import Flag

from tests.platform.conftest import latest_outline, select, wait_for
from tests.platform.factories import EXPECTED_OUTLINE, build_course, publish_course

pytestmark = pytest.mark.django_db(transaction=True)


def live(ch, table: str, columns: str) -> list[tuple]:
    """Current rows of a tagging table as readers see them (FINAL drops deleted ones)."""
    return select(ch, f"SELECT {columns} FROM {table} FINAL ORDER BY id")  # noqa: S608


def subjects() -> tuple[Taxonomy, dict[str, Tag]]:
    """A three-level taxonomy: Science > Physics > Optics, and Arts."""
    taxonomy = tagging.create_taxonomy("Subjects", export_id="subjects")
    tags = {
        "Science": tagging.add_tag_to_taxonomy(taxonomy, "Science"),
        "Arts": tagging.add_tag_to_taxonomy(taxonomy, "Arts", external_id="ext-arts"),
    }
    tags["Physics"] = tagging.add_tag_to_taxonomy(taxonomy, "Physics", "Science")
    tags["Optics"] = tagging.add_tag_to_taxonomy(taxonomy, "Optics", "Physics")
    return taxonomy, tags


def test_taxonomy_written_on_save_and_gone_after_delete(ch):
    taxonomy = tagging.create_taxonomy("Levels", export_id="levels")
    assert live(ch, "taxonomy", "id, name") == [(taxonomy.id, "Levels")]
    taxonomy.name = "Difficulty"
    taxonomy.save()
    assert live(ch, "taxonomy", "id, name") == [(taxonomy.id, "Difficulty")]
    taxonomy_id = taxonomy.id
    taxonomy.delete()
    assert live(ch, "taxonomy", "id") == []
    deleted = select(
        ch,
        "SELECT is_deleted FROM taxonomy WHERE id = {i:Int64} ORDER BY time_last_dumped",
        i=taxonomy_id,
    )
    assert deleted[-1] == (1,), "the delete is written as a tombstone"


def test_tags_written_with_parent_and_lineage(ch):
    taxonomy, tags = subjects()
    rows = live(ch, "tag", "id, taxonomy, parent, value, external_id, lineage")
    assert rows == [
        (tags["Science"].id, taxonomy.id, None, "Science", "", '["Science"]'),
        (tags["Arts"].id, taxonomy.id, None, "Arts", "ext-arts", '["Arts"]'),
        (
            tags["Physics"].id,
            taxonomy.id,
            tags["Science"].id,
            "Physics",
            "",
            '["Science", "Physics"]',
        ),
        (
            tags["Optics"].id,
            taxonomy.id,
            tags["Physics"].id,
            "Optics",
            "",
            '["Science", "Physics", "Optics"]',
        ),
    ]
    assert json.loads(rows[3][5]) == tags["Optics"].get_lineage()


def test_deleting_a_taxonomy_deletes_its_tags_in_clickhouse(ch):
    taxonomy, _ = subjects()
    assert len(live(ch, "tag", "id")) == 4
    taxonomy.delete()  # its tags go with it (CASCADE), each with its own post_delete
    assert live(ch, "tag", "id") == []
    assert live(ch, "taxonomy", "id") == []


def test_object_tags_follow_tag_object(ch):
    taxonomy, tags = subjects()
    course_key = build_course(publish=False)
    tagging.tag_object(str(course_key), taxonomy, ["Optics", "Arts"])
    rows = live(ch, "object_tag", "object_id, taxonomy, tag, _value, _export_id, lineage")
    assert sorted(rows) == sorted(
        [
            (str(course_key), taxonomy.id, tags["Optics"].id, "Optics", "subjects",
             '["Science", "Physics", "Optics"]'),
            (str(course_key), taxonomy.id, tags["Arts"].id, "Arts", "subjects", '["Arts"]'),
        ]
    )  # fmt: skip
    tagging.tag_object(str(course_key), taxonomy, ["Arts"])  # Optics is removed (a delete)
    assert live(ch, "object_tag", "tag") == [(tags["Arts"].id,)]
    assert list(ObjectTag.objects.values_list("tag_id", flat=True)) == [tags["Arts"].id]


def test_free_text_object_tag_lineage_is_its_value_as_written(ch):
    """The lineage keeps non-ASCII text as written (readable, and found by a plain LIKE)."""
    taxonomy = tagging.create_taxonomy("Keywords", allow_free_text=True, export_id="kw")
    tagging.tag_object("lb:OrgX:lib1:problem:p1", taxonomy, ["idée fraîche"])
    assert live(ch, "object_tag", "object_id, tag, _value, lineage") == [
        ("lb:OrgX:lib1:problem:p1", None, "idée fraîche", '["idée fraîche"]')
    ]


def test_nothing_written_when_the_transaction_rolls_back(ch):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        tagging.create_taxonomy("Ghost", export_id="ghost")
        raise Boom
    assert select(ch, "SELECT count() FROM taxonomy") == [(0,)]


def course_tags(ch, course_key) -> list[int]:
    [(data,)] = select(
        ch,
        "SELECT course_data_json FROM course_overviews FINAL WHERE course_key = {k:String}",
        k=str(course_key),
    )
    return json.loads(data)["tags"]


def block_tags(ch, course_key) -> dict[str, list[int]]:
    return {
        location.rsplit("@", 1)[1]: json.loads(data)["tags"]
        for location, data in latest_outline(ch, course_key, "location, xblock_data_json")
    }


def test_tagging_a_course_dumps_it_again_with_its_tag_ids(ch):
    taxonomy, tags = subjects()
    course_key = build_course()
    assert course_tags(ch, course_key) == []
    tagging.tag_object(str(course_key), taxonomy, ["Optics"])
    # The tag and its ancestors, as the established sink writes them.
    expected = sorted([tags["Optics"].id, tags["Physics"].id, tags["Science"].id])
    assert course_tags(ch, course_key) == expected
    tagging.tag_object(str(course_key), taxonomy, [])  # every tag removed: dumped again
    assert course_tags(ch, course_key) == []


def test_without_the_tagging_models_courses_are_written_with_no_tags(ch, settings):
    """A platform without openedx-learning's tagging (or a wrong MODEL_CONFIG entry): course
    dumps still write the course and its blocks, with empty ``tags`` keys."""
    settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG = {
        **settings.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG,
        "object_tag": {"module": "no_such.tagging.models", "model": "Nope"},
    }
    course_key = build_course()
    assert course_tags(ch, course_key) == []
    outline = latest_outline(ch, course_key, "xblock_data_json")
    assert len(outline) == len(EXPECTED_OUTLINE)
    assert all(json.loads(data)["tags"] == [] for (data,) in outline)


def test_tagging_a_block_dumps_its_course_with_the_block_tags(ch):
    taxonomy, tags = subjects()
    course_key = build_course()
    problem = course_key.make_usage_key("problem", "p1")
    tagging.tag_object(str(problem), taxonomy, ["Physics", "Arts"])
    by_block = block_tags(ch, course_key)
    assert by_block["p1"] == sorted([tags["Physics"].id, tags["Science"].id, tags["Arts"].id])
    assert all(ids == [] for block, ids in by_block.items() if block != "p1")
    assert course_tags(ch, course_key) == [], "block tags are not the course's tags"


def test_disabled_taxonomy_tags_are_left_out_of_the_tags_keys(ch):
    taxonomy, tags = subjects()
    course_key = build_course()
    tagging.tag_object(str(course_key), taxonomy, ["Arts"])
    assert course_tags(ch, course_key) == [tags["Arts"].id]
    taxonomy.enabled = False
    taxonomy.save()
    call_command("dump_data_to_clickhouse", "--object", "course_overviews", "--force",
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert course_tags(ch, course_key) == []


@pytest.mark.parametrize("object_name", ["taxonomy", "tag", "object_tag"])
def test_dump_command_writes_every_object(ch, settings, object_name):
    settings.EVENT_SINK_CLICKHOUSE_TAG_ENABLED = False  # the command dumps whatever the switch
    settings.EVENT_SINK_CLICKHOUSE_TAXONOMY_ENABLED = False
    settings.EVENT_SINK_CLICKHOUSE_OBJECT_TAG_ENABLED = False
    taxonomy, _ = subjects()
    tagging.tag_object("course-v1:OrgX+T1+2026", taxonomy, ["Optics", "Arts"])
    model = {"taxonomy": Taxonomy, "tag": Tag, "object_tag": ObjectTag}[object_name]
    assert select(ch, f"SELECT count() FROM {object_name}") == [(0,)]  # noqa: S608
    out = io.StringIO()
    call_command("dump_data_to_clickhouse", "--object", object_name, "--batch_size", "1",
                 stdout=out, stderr=io.StringIO())  # fmt: skip
    expected = sorted(model.objects.values_list("pk", flat=True))
    assert [r[0] for r in live(ch, object_name, "id")] == expected
    assert f"Dumped {len(expected)} {object_name} objects" in out.getvalue()


def test_dump_command_ids_flag_selects_tags(ch, settings):
    settings.EVENT_SINK_CLICKHOUSE_TAG_ENABLED = False
    _, tags = subjects()
    call_command("dump_data_to_clickhouse", "--object", "tag", "--ids", str(tags["Arts"].id),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert live(ch, "tag", "value") == [("Arts",)]


def test_unknown_object_lists_the_tagging_objects():
    with pytest.raises(CommandError) as error:
        call_command("dump_data_to_clickhouse", "--object", "tags", stdout=io.StringIO())
    for name in ("course_overviews", "taxonomy", "tag", "object_tag"):
        assert re.search(rf"\b{name}\b", str(error.value)), name


@pytest.fixture
def tag_sinks_off(settings):
    for name in ("TAG", "TAXONOMY", "OBJECT_TAG"):
        setattr(settings, f"EVENT_SINK_CLICKHOUSE_{name}_ENABLED", False)


def test_switched_off_sinks_write_nothing(ch, tag_sinks_off):
    taxonomy, _ = subjects()
    tagging.tag_object("course-v1:OrgX+T1+2026", taxonomy, ["Arts"])
    for table in ("taxonomy", "tag", "object_tag"):
        assert select(ch, f"SELECT count() FROM {table}") == [(0,)]  # noqa: S608


def test_waffle_flag_turns_a_tag_sink_on(ch, tag_sinks_off):
    Flag.objects.create(name="event_sink_clickhouse.tag.enabled", everyone=True)
    _, tags = subjects()
    assert len(live(ch, "tag", "id")) == len(tags)
    assert select(ch, "SELECT count() FROM taxonomy") == [(0,)]


def test_retagging_sends_one_debounced_course_dump(ch, settings, worker, merges_stopped):
    """Each ObjectTag saved or deleted by one tag_object call asks for a course dump; the
    debounced course dump (as for a publish storm) makes that one task and one write."""
    settings.EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS = 0.5
    taxonomy, tags = subjects()
    course_key = build_course(publish=False)
    with transaction.atomic():  # tagged, then published: one dump for both
        ObjectTag.objects.create(object_id=str(course_key), taxonomy=taxonomy, tag=tags["Science"])
        publish_course(course_key)
    assert wait_for(lambda: select(ch, "SELECT count() FROM course_overviews") == [(1,)])
    assert course_tags(ch, course_key) == [tags["Science"].id]
    assert wait_for(lambda: cache.get(tasks.course_dump_pending_key(str(course_key))) is None)
    sent = []

    def count(sender=None, **kwargs):
        sent.append(sender)

    before_task_publish.connect(count, weak=False, dispatch_uid="retag")
    try:
        # Science goes (a delete), three tags come (three saves): four course dump requests.
        tagging.tag_object(str(course_key), taxonomy, ["Optics", "Arts", "Physics"])
    finally:
        before_task_publish.disconnect(dispatch_uid="retag")
    assert sorted(sent) == [
        "aspects_platform.tasks.delete_object_from_clickhouse",
        "aspects_platform.tasks.dump_course_to_clickhouse",
        "aspects_platform.tasks.dump_object_to_clickhouse",
        "aspects_platform.tasks.dump_object_to_clickhouse",
        "aspects_platform.tasks.dump_object_to_clickhouse",
    ]
    expected = sorted(tags[name].id for name in ("Optics", "Physics", "Science", "Arts"))
    assert wait_for(lambda: select(ch, "SELECT count() FROM course_overviews") == [(2,)])
    assert course_tags(ch, course_key) == expected
    assert wait_for(lambda: len(live(ch, "object_tag", "id")) == 3)
