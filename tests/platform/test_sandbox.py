"""The sandbox LMS: stand-in edx-platform models, modulestore, signals and the seed command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from common.djangoapps.student.models import CourseEnrollment, UserProfile
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx.core.djangoapps.external_user_ids.models import ExternalId
from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC
from xmodule.modulestore.django import COURSE_PUBLISHED, modulestore
from xmodule.modulestore.models import BlockRecord
from xmodule.modulestore.sandbox_store import BlockSpec
from xmodule.modulestore.store_utilities import DETACHED_XBLOCK_TYPES

from sandbox.lms.seed.text import TRICKY_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]


def child_env(**extra: str) -> dict[str, str]:
    """This environment minus the test settings module: children use the real sandbox one."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return env | extra


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sinks_off(settings):
    """These tests are about the stand-ins, not the sinks: keep ClickHouse out of them."""
    for name in ("COURSE_OVERVIEWS", "USER_PROFILE", "EXTERNAL_ID", "COURSE_ENROLLMENT",
                 "AUTH_USER"):  # fmt: skip
        setattr(settings, f"EVENT_SINK_CLICKHOUSE_{name}_ENABLED", False)


class Recorder:
    """Collects the kwargs of every send of one signal while connected."""

    def __init__(self, signal):
        self.signal = signal
        self.calls = []

    def __call__(self, sender, **kwargs):
        self.calls.append({"sender": sender, **kwargs})

    def __enter__(self):
        self.signal.connect(self, weak=False, dispatch_uid=id(self))
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(dispatch_uid=id(self))


def small_course():
    """course > chapter > sequential (graded) > vertical > [problem, html], + a static tab."""
    store = modulestore()
    course = store.create_course("Org", "Demo", "2026", display_name="Demo course")
    chapter = store.create_child(None, course.location, "chapter", "ch1", "Week 1")
    seq = store.create_child(None, chapter.location, "sequential", "seq1", None, True, "Exam")
    unit = store.create_child(None, seq.location, "vertical", "unit_one")
    store.create_child(None, unit.location, "problem", "p1", "Problem 1")
    store.create_child(None, unit.location, "html", "h1", "Text")
    store.create_child(None, course.location, "chapter", "ch2", "Week 2")
    store.add_blocks(course.id, [BlockSpec("static_tab", "tab", None, "Syllabus")])
    return course.id


def test_course_outline_reads_back_in_order_with_xblock_attributes():
    key = small_course()
    course = modulestore().get_course(key, depth=None, revision="rev-opt-published-only")
    walked = [(b.category, b.location.block_id) for b in course.walk()]
    assert walked == [
        ("course", "course"),
        ("chapter", "ch1"),
        ("sequential", "seq1"),
        ("vertical", "unit_one"),
        ("problem", "p1"),
        ("html", "h1"),
        ("chapter", "ch2"),
    ]
    assert course.id == key
    assert course.children == [key.make_usage_key("chapter", f"ch{i}") for i in (1, 2)]
    seq = course.get_children()[0].get_children()[0]
    assert (seq.graded, seq.format, seq.completion_mode) == (True, "Exam", "aggregator")
    assert seq.display_name_with_default == "seq1"
    unit = seq.get_children()[0]
    assert unit.display_name_with_default == "unit one"
    assert unit.parent == seq.location
    problem = unit.get_children()[0]
    assert (problem.completion_mode, problem.edited_on is not None) == ("completable", True)
    assert str(problem.location) == "block-v1:Org+Demo+2026+type@problem+block@p1"


def test_get_items_filters_by_category_forms():
    key = small_course()
    store = modulestore()
    detached = store.get_items(key, qualifiers={"category": {"$in": list(DETACHED_XBLOCK_TYPES)}})
    assert [b.location.block_id for b in detached] == ["tab"]
    assert detached[0].parent is None
    assert len(store.get_items(key, qualifiers={"category": "chapter"})) == 2
    assert len(store.get_items(key, qualifiers={"category": ["html", "problem"]})) == 2
    assert len(store.get_items(key)) == 8
    assert store.get_course(CourseKey.from_string("course-v1:No+Such+Course")) is None


def test_publish_refreshes_overview_then_sends_course_published():
    key = small_course()
    with Recorder(COURSE_PUBLISHED) as first:
        modulestore().publish(key)
    overview = CourseOverview.get_from_id(str(key))
    assert (str(overview), overview.display_name_with_default) == (str(key), "Demo course")
    assert [call["course_key"] for call in first.calls] == [key]
    before = overview.modified
    with Recorder(COURSE_PUBLISHED):
        modulestore().publish(key)
    assert CourseOverview.get_from_id(key).modified > before


def test_retire_misc_sends_user_retire_lms_misc():
    from tests.platform.factories import make_user
    from tests.platform.retirement_pipeline import start_and_retire_misc

    user, _ = make_user("leaving")
    with Recorder(USER_RETIRE_LMS_MISC) as signal:
        start_and_retire_misc(user)
    assert [call["user"] for call in signal.calls] == [user]


def test_seed_sandbox_creates_exact_counts_and_a_valid_outline():
    call_command("seed_sandbox", users=300, courses=2, blocks_per_course=57, enrollments_per_user=2)
    assert User.objects.count() == UserProfile.objects.count() == ExternalId.objects.count() == 300
    assert CourseEnrollment.objects.count() == 600
    assert CourseOverview.objects.count() == 2
    for overview in CourseOverview.objects.all():
        assert BlockRecord.objects.filter(course_key=str(overview.id)).count() == 57
        course = modulestore().get_course(overview.id)
        outline = list(course.walk())
        detached = modulestore().get_items(overview.id, qualifiers={"category": ["about",
                                           "course_info", "static_tab"]})  # fmt: skip
        assert len(outline) + len(detached) == 57
        assert {b.category for b in outline} >= {"chapter", "sequential", "vertical"}
        assert any(b.graded for b in outline)
    names = list(UserProfile.objects.order_by("user_id").values_list("name", flat=True))
    tricky = sum(name in TRICKY_NAMES for name in names)
    assert 0.04 * len(names) < tricky < 0.2 * len(names)
    assert UserProfile.objects.get(user_id=1).user.profile.name == names[0]


def test_seed_sandbox_is_additive():
    call_command("seed_sandbox", users=5, courses=1, blocks_per_course=10)
    call_command("seed_sandbox", users=5, courses=1, blocks_per_course=10)
    assert UserProfile.objects.count() == 10
    assert sorted(str(k) for k in CourseOverview.objects.values_list("id", flat=True)) == [
        "course-v1:SandboxX+C0001+2026",
        "course-v1:SandboxX+C0002+2026",
    ]


def test_seed_sandbox_rejects_bad_block_count():
    with pytest.raises(CommandError, match="--blocks-per-course must be between 1 and"):
        call_command("seed_sandbox", courses=1, blocks_per_course=0)


def test_manage_py_runs_from_any_cwd_and_creates_the_database(tmp_path):
    env = child_env(ASPECTS_SANDBOX_DIR=str(tmp_path / "sbx"), ASPECTS_SANDBOX_SINKS_ENABLED="0")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sandbox" / "manage.py"), "seed_sandbox", "--users",
         "3", "--courses", "1", "--blocks-per-course", "9"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Seeded 3 learners, 1 courses x 9 blocks, 3 enrollments" in result.stdout
    assert (tmp_path / "sbx" / "lms.sqlite3").exists()


def test_manage_py_rejects_negative_counts(tmp_path):
    env = child_env(ASPECTS_SANDBOX_DIR=str(tmp_path / "sbx"), ASPECTS_SANDBOX_SINKS_ENABLED="0")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sandbox" / "manage.py"), "seed_sandbox", "--users",
         "-4"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "--users" in result.stderr


def test_count_table_marks_mismatches():
    from sandbox.lms.counts import TableCount, format_counts

    text = format_counts(
        [TableCount("user_profile", 10, 10, 12), TableCount("external_id", 3, 2, 2)]
    )
    lines = text.splitlines()
    assert lines[2].split() == ["user_profile", "10", "10", "12", "OK"]
    assert lines[3].split() == ["external_id", "3", "2", "2", "MISMATCH"]


def test_demo_runs_end_to_end_and_counts_match(tmp_path):
    """`make demo`'s module: fresh ClickHouse + sandbox, signals, dumps, counts (about 5 s)."""
    env = child_env(ASPECTS_SANDBOX_DEMO_DIR=str(tmp_path / "demo"))
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("counts: sandbox LMS vs ClickHouse")[1]
    for name in ("course_overviews", "course_blocks", "user_profile", "external_id",
                 "course_enrollment"):  # fmt: skip
        line = next(line for line in table.splitlines() if line.startswith(name))
        assert line.split()[-1] == "OK", line
    blocks_line = next(line for line in table.splitlines() if line.startswith("course_blocks"))
    assert blocks_line.split()[1:3] == ["360", "360"]  # 3 courses x 120 blocks
    assert not (tmp_path / "demo" / "clickhouse" / "server.pid").exists()  # stopped


def test_stand_in_migrations_match_the_models():
    call_command(
        "makemigrations", "student", "external_user_ids", "course_overviews", "modulestore",
        check=True, dry_run=True, verbosity=0,
    )  # fmt: skip
