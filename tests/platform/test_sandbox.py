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
from xmodule.modulestore import ModuleStoreEnum
from xmodule.modulestore.django import COURSE_PUBLISHED, modulestore
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


USER = ModuleStoreEnum.UserID.test


def small_course():
    """course > chapter > sequential (graded) > vertical > [problem, html], + a static tab.

    Built in Studio's branch, then the whole course is published.
    """
    store = modulestore()
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred):
        course = store.create_course("Org", "Demo", "2026", USER, {"display_name": "Demo course"})
        chapter = store.create_child(
            USER, course.location, "chapter", "ch1", fields={"display_name": "Week 1"}
        )
        seq = store.create_child(
            USER, chapter.location, "sequential", "seq1", fields={"graded": True, "format": "Exam"}
        )
        unit = store.create_child(USER, seq.location, "vertical", "unit_one")
        store.create_child(
            USER, unit.location, "problem", "p1", fields={"display_name": "Problem 1"}
        )
        store.create_child(USER, unit.location, "html", "h1", fields={"display_name": "Text"})
        store.create_child(
            USER, course.location, "chapter", "ch2", fields={"display_name": "Week 2"}
        )
        store.create_item(USER, course.id, "static_tab", "tab", fields={"display_name": "Syllabus"})
    store.publish(course.location, USER)
    return course.id


def test_course_outline_reads_back_in_order_with_xblock_attributes():
    key = small_course()
    course = modulestore().get_course(key, depth=None)
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
    assert unit.graded is True, "inherited from the graded subsection"
    assert problem.graded is True, "inherited from the graded subsection"
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


def test_publish_sends_course_published_and_the_platform_receiver_refreshes_the_overview():
    key = small_course()
    overview = CourseOverview.get_from_id(str(key))
    assert (str(overview), overview.display_name_with_default) == (str(key), "Demo course")
    store = modulestore()
    with Recorder(COURSE_PUBLISHED) as signal:
        store.publish(key.make_usage_key("course", "course"), USER)
    assert [(c["sender"].__name__, c["course_key"]) for c in signal.calls] == [
        ("DraftVersioningModuleStore", key)
    ]
    assert CourseOverview.objects.get(id=key).modified > overview.modified


def test_the_lowest_passing_grade_follows_the_grade_cutoffs_studio_saves():
    """CourseBlock.grade_cutoffs / lowest_passing_grade (xmodule/course_block.py): 0.5 for a
    new course; Studio's grading page sets the cutoffs, the overview copies their minimum."""
    key = small_course()
    store = modulestore()
    course = store.get_course(key)
    assert (course.grade_cutoffs, course.lowest_passing_grade) == ({"Pass": 0.5}, 0.5)
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
        course = store.get_course(key)
        course.grade_cutoffs = {"A": 0.8, "B": 0.65}
        store.update_item(course, USER)
    store.publish(key.make_usage_key("course", "course"), USER)
    assert store.get_course(key).lowest_passing_grade == 0.65
    assert float(CourseOverview.objects.get(id=key).lowest_passing_grade) == 0.65


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
        assert len(modulestore().get_items(overview.id)) == 57
        assert overview.start is not None and overview.lowest_passing_grade == 0.5
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
        "oel_tagging", "ccx", check=True, dry_run=True, verbosity=0,
    )  # fmt: skip


def test_get_course_follows_the_branch_setting_and_ignores_revision(settings):
    key = small_course()
    store = modulestore()
    unit = key.make_usage_key("vertical", "unit_one")
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
        block = store.get_item(unit)
        block.display_name = "Draft name"
        store.update_item(block, USER)
    published = ModuleStoreEnum.RevisionOption.published_only

    def unit_name(course) -> str:
        return course.get_children()[0].get_children()[0].get_children()[0].display_name

    settings.MODULESTORE_BRANCH = "draft-preferred"  # the CMS
    assert unit_name(store.get_course(key, revision=published)) == "Draft name"
    assert store.get_item(unit, revision=published).display_name is None
    with store.branch_setting(ModuleStoreEnum.Branch.published_only, key):
        assert unit_name(store.get_course(key)) is None
    settings.MODULESTORE_BRANCH = None  # the LMS
    assert unit_name(store.get_course(key)) is None
    draft = ModuleStoreEnum.RevisionOption.draft_only
    assert [b.display_name for b in store.get_items(key, revision=draft, qualifiers={
        "category": "vertical"})] == ["Draft name"]  # fmt: skip


def test_course_published_fires_where_split_fires_it():
    """Direct-only blocks (course, chapter, sequential) publish at once and signal; units and
    components are drafts; any delete signals; a bulk operation sends one signal at its end."""
    key = small_course()
    store = modulestore()
    chapter = key.make_usage_key("chapter", "ch1")
    unit = key.make_usage_key("vertical", "unit_one")
    sent = []
    with Recorder(COURSE_PUBLISHED) as signal:
        with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
            new_unit = store.create_child(USER, key.make_usage_key("sequential", "seq1"),
                                          "vertical")  # fmt: skip
            block = store.get_item(unit)
            block.display_name = "Unit renamed"
            store.update_item(block, USER)
            sent.append(len(signal.calls))  # drafts only: nothing published
            block = store.get_item(chapter)
            block.display_name = "Week one"
            store.update_item(block, USER)
            sent.append(len(signal.calls))
            store.create_child(USER, chapter, "sequential", "seq2")
            sent.append(len(signal.calls))
            store.delete_item(key.make_usage_key("problem", "p1"), USER)
            sent.append(len(signal.calls))
            with store.bulk_operations(key):
                for name in ("a", "b", "c"):
                    block = store.get_item(chapter)
                    block.display_name = name
                    store.update_item(block, USER)
                sent.append(len(signal.calls))
            sent.append(len(signal.calls))
    assert sent == [0, 1, 2, 3, 3, 4]
    assert not store.has_published_version(new_unit)
    assert store.get_item(chapter, revision="rev-opt-published-only").display_name == "c"
    assert store.has_item(key.make_usage_key("problem", "p1"), revision="rev-opt-published-only")


@pytest.mark.parametrize(("service", "branch"), [("lms", "published-only"),
                                                 ("cms", "draft-preferred")])  # fmt: skip
def test_the_cms_reads_drafts_by_default_and_the_lms_published_content(tmp_path, service, branch):
    env = child_env(ASPECTS_SANDBOX_DIR=str(tmp_path / "sbx"), ASPECTS_SANDBOX_SINKS_ENABLED="0")
    env.pop("SERVICE_VARIANT", None)
    code = (
        "from xmodule.modulestore.django import modulestore as m; print(m().get_branch_setting())"
    )
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sandbox" / "manage.py"), service, "shell", "-c", code],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == branch
