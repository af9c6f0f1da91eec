"""After the switch from the established app: adopted tables take our sinks' rows, and its
leftover configuration (filter steps, queued task names, --object auth_user) is handled."""
# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

from __future__ import annotations

import dataclasses
import logging
import types

import pytest
from aspects_platform.clickhouse.runner import apply_migrations
from aspects_platform.settings import common
from django.apps import apps
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey
from openedx_filters.learning.filters import InstructorDashboardRenderStarted

from sandbox.clickhouse_server.testing import unique_schema
from sandbox.lms.celery import APP
from tests.clickhouse.established_schema import ROWS, create_established
from tests.platform.conftest import latest_outline, select
from tests.platform.factories import EXPECTED_OUTLINE, build_course, make_user
from tests.platform.test_platform_dump_command import dump

pytestmark = pytest.mark.django_db(transaction=True)

THEIR_STEP = "platform_plugin_aspects.extensions.filters.AddSupersetTab"
OUR_STEP = "aspects_platform.filters.AddSupersetTab"
LEGACY_FILTER = "org.openedx.learning.instructor.dashboard.render.started.v1"
THEIR_DUMP_TASK = "platform_plugin_aspects.tasks.dump_data_to_clickhouse"
THEIR_COURSE_TASK = "platform_plugin_aspects.tasks.dump_course_to_clickhouse"


@pytest.fixture
def adopted(clickhouse, settings, backend_config):
    """The established tables and rows, adopted; the sinks write to them."""
    target = dataclasses.replace(clickhouse, schema=unique_schema("adopted"))
    admin = target.client()
    create_established(admin, target.schema)
    apply_migrations(admin, target.schema, adopt_established=True)
    client = target.client(database=target.event_sink_database)
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **backend_config,
        "database": target.event_sink_database,
        "reporting_database": target.reporting_database,
    }
    yield client
    target.drop_databases()


def test_our_sinks_write_into_the_adopted_tables_beside_the_converted_rows(adopted):
    with transaction.atomic():
        make_user("grace", name="Grace Hopper")
    profiles = select(adopted, "SELECT username, name FROM user_profile ORDER BY username")
    assert profiles == [("ada", "Ada"), ("bob", "Bob"), ("grace", "Grace Hopper")]
    key = build_course("OrgA", "C9", "2026")
    outline = latest_outline(adopted, key, "block_type, section, subsection, unit")
    assert [tuple(row) for row in outline] == [(b[0], *b[2:5]) for b in EXPECTED_OUTLINE]
    converted = select(
        adopted, "SELECT count() FROM course_blocks WHERE course_key != {k:String}", k=str(key)
    )
    assert converted == [(len(ROWS["course_blocks"]),)]


def test_queued_tasks_of_the_established_app_are_forwarded_to_ours(adopted, caplog):
    with transaction.atomic():
        _, profile = make_user("linus", name="Linus")
    adopted.command("TRUNCATE TABLE user_profile")
    task = APP.tasks[THEIR_DUMP_TASK]
    with caplog.at_level(logging.WARNING):
        result = task.apply(
            args=("platform_plugin_aspects.sinks.user_profile_sink", "UserProfileSink", profile.id)
        )
    assert result.get() == "forwarded to aspects_platform.tasks.dump_object_to_clickhouse"
    assert select(adopted, "SELECT username FROM user_profile") == [("linus",)]
    assert f"{THEIR_DUMP_TASK}: a task of the established platform-plugin-aspects" in caplog.text
    key = build_course("OrgB", "C1", "2026", publish=False)
    assert APP.tasks[THEIR_COURSE_TASK].apply(args=(str(key),)).get() == (
        "forwarded to aspects_platform.tasks.dump_course_to_clickhouse"
    )
    assert select(
        adopted, "SELECT count() FROM course_overviews WHERE course_key = {k:String}", k=str(key)
    ) == [(1,)]


def test_a_queued_task_for_an_unknown_sink_fails_naming_the_choices(adopted):
    message = "no Aspects replacement for the sink m.CourseRelationshipSink"
    with pytest.raises(ValueError, match=message) as error:
        APP.tasks[THEIR_DUMP_TASK].apply(args=("m", "CourseRelationshipSink", 1)).get()
    assert "UserProfileSink" in str(error.value) and "--object <name>" in str(error.value)


def test_dump_object_auth_user_names_the_replacements():
    with pytest.raises(CommandError) as error:
        dump("--object", "auth_user")
    message = str(error.value)
    assert "--object user_profile" in message
    assert "retire_users_from_clickhouse --redrive" in message


@pytest.mark.parametrize(
    "entry",
    [
        {"fail_silently": False, "pipeline": [THEIR_STEP]},
        [THEIR_STEP, OUR_STEP],
        THEIR_STEP,
    ],
    ids=["dict", "list-with-ours", "single-step"],
)
def test_the_established_filter_step_keeps_the_reports_tab(entry, caplog):
    superset = {"service_url": "https://superset.example.org", "username": "u", "password": "p"}
    with override_settings(
        OPEN_EDX_FILTERS_CONFIG={LEGACY_FILTER: entry},
        SUPERSET_CONFIG=superset,
        ASPECTS_INSTRUCTOR_DASHBOARDS=common.defaults()["ASPECTS_INSTRUCTOR_DASHBOARDS"],
    ):
        with caplog.at_level(logging.WARNING):
            apps.get_app_config("aspects_platform").ready()
        course = types.SimpleNamespace(id=CourseKey.from_string("course-v1:O+C+R"))
        context, _ = InstructorDashboardRenderStarted.run_filter(
            context={"course": course, "sections": []}, template_name="t.html"
        )
    assert [section["section_key"] for section in context["sections"]] == ["aspects"]
    assert (
        f"names {THEIR_STEP}, a step of the established platform-plugin-aspects; "
        f"running {OUR_STEP} instead" in caplog.text
    )
