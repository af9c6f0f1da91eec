"""`tutor local do dump-data-to-clickhouse` end to end: the exact job script Tutor renders is run
by a real `sh` against the sandbox's real `manage.py` (edx-platform's `./manage.py cms …` form),
which dumps from the sandbox LMS into the test ClickHouse over HTTP. What lands is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.clickhouse_server.testing import ClickHouseTarget
from tests.tutor.fake_docker import TutorSandbox
from tests.tutor.rendered import render

REPO = Path(__file__).resolve().parents[2]
SANDBOX_MANAGE = REPO / "sandbox" / "manage.py"
#: Valid course keys with every punctuation opaque-keys allows, and non-ASCII letters.
AWKWARD_COURSES = [
    "course-v1:Org~x+C.1-a+run:2026_b",
    "course-v1:Ünï+Cöurse+R_1",
    "course-v1:a+b+c",
]
CREATE_COURSES = """
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from xmodule.modulestore.django import SignalHandler, modulestore
for text in {keys!r}:
    key = CourseKey.from_string(text)
    with SignalHandler.course_published.for_state(is_enabled=False):  # no live dump here
        fields = {{"display_name": "Awkward " + key.run}}
        modulestore().create_course(key.org, key.course, key.run, 1, fields=fields)
    CourseOverview.load_from_module_store(key)
"""


@pytest.fixture(scope="module")
def tutor_root(tmp_path_factory: pytest.TempPathFactory) -> TutorSandbox:
    return render(tmp_path_factory.mktemp("tutor-do-real")).box


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory, clickhouse: ClickHouseTarget) -> dict:
    """A sandbox LMS (its own SQLite) seeded with courses and learners; its environment."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ASPECTS_SANDBOX_DIR": str(tmp_path_factory.mktemp("sandbox-lms")),
        "ASPECTS_SANDBOX_CLICKHOUSE_URL": clickhouse.url,
        "ASPECTS_SANDBOX_CLICKHOUSE_USER": clickhouse.username,
        "ASPECTS_SANDBOX_CLICKHOUSE_PASSWORD": clickhouse.password,
        "ASPECTS_SANDBOX_CLICKHOUSE_DATABASE": clickhouse.event_sink_database,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("SERVICE_VARIANT", None)
    manage = [sys.executable, str(SANDBOX_MANAGE)]
    seed = ["seed_sandbox", "--users", "5", "--courses", "2", "--blocks-per-course", "5"]
    subprocess.run([*manage, *seed], env=env, check=True, capture_output=True, timeout=120)
    code = CREATE_COURSES.format(keys=AWKWARD_COURSES)
    subprocess.run([*manage, "shell", "-c", code], env=env, check=True, timeout=120)
    return env


@pytest.fixture
def ch(clickhouse: ClickHouseTarget):
    client = clickhouse.client(database=clickhouse.event_sink_database)
    for table in ("course_overviews", "course_blocks", "user_profile"):
        client.command(f"TRUNCATE TABLE `{table}`")
    yield client
    client.close()


def run_rendered_dump(
    tutor_root: TutorSandbox, lms: dict, workdir: Path, *do_args: str
) -> subprocess.CompletedProcess:
    """Render the job through `tutor local do`, then run its script as the container would."""
    run = tutor_root.tutor("local", "do", "dump-data-to-clickhouse", *do_args)
    assert run.returncode == 0, run.output
    (script,) = [call[-1] for call in run.job_calls]
    assert script.startswith("./manage.py cms dump_data_to_clickhouse ")
    (workdir / "manage.py").symlink_to(SANDBOX_MANAGE)
    return subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=workdir,
        env=lms,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def column(ch, sql: str) -> list:
    return sorted(row[0] for row in ch.query(sql).result_rows)


def test_course_ids_and_skips_land_exactly(tutor_root, lms, ch, tmp_path) -> None:
    ids = [arg for key in AWKWARD_COURSES for arg in ("--ids", key)]
    skip = AWKWARD_COURSES[2]
    done = run_rendered_dump(
        tutor_root, lms, tmp_path, "--object", "course_overviews", *ids, "--ids-to-skip", skip
    )
    assert done.returncode == 0, done.stderr
    expected = sorted(AWKWARD_COURSES[:2])
    assert column(ch, "SELECT course_key FROM course_overviews") == expected
    assert column(ch, "SELECT DISTINCT course_key FROM course_blocks") == expected
    assert "Awkward run:2026_b" in column(ch, "SELECT display_name FROM course_overviews")


def test_start_pk_course_key_resumes_after_it(tutor_root, lms, ch, tmp_path) -> None:
    start = "course-v1:SandboxX+C0001+2026"
    done = run_rendered_dump(
        tutor_root, lms, tmp_path, "--object", "course_overviews", "--start-pk", start, "--force"
    )
    assert done.returncode == 0, done.stderr
    every_key = sorted([*AWKWARD_COURSES, start, "course-v1:SandboxX+C0002+2026"])
    # The sandbox LMS compares course keys case-insensitively, as MySQL's collation does
    # (SQLite's NOCASE folds ASCII letters only, as bytes.lower() does).
    after = sorted(key for key in every_key if key.encode().lower() > start.encode().lower())
    assert column(ch, "SELECT course_key FROM course_overviews") == after, done.stderr
    assert f"resume with --start_pk {after[-1]}" in done.stderr


def test_profile_ids_limit_and_batch_size_land_exactly(tutor_root, lms, ch, tmp_path) -> None:
    done = run_rendered_dump(
        tutor_root,
        lms,
        tmp_path,
        *("--object", "user_profile", "--ids", "1,2,3", "--ids", "5", "--ids-to-skip", "2"),
        *("--batch-size", "1", "--limit", "2"),
    )
    assert done.returncode == 0, done.stderr
    assert column(ch, "SELECT id FROM user_profile") == [1, 3]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--object", "course_overviews", "--ids", "with space"), "with space"),
        (("--object", "course_overviews", "--start-pk", "$HOME;`id`"), "$HOME;`id`"),
        (("--object", "user_profile", "--ids", "1", "--ids", "{{ LMS_HOST }}"), "{{ LMS_HOST }}"),
    ],
)
def test_invalid_keys_fail_naming_the_value_and_nothing_lands(
    tutor_root, lms, ch, tmp_path, flags, message
) -> None:
    done = run_rendered_dump(tutor_root, lms, tmp_path, *flags)
    assert done.returncode != 0
    assert message in done.stderr
    for table in ("course_overviews", "course_blocks", "user_profile"):
        count = ch.query(f"SELECT count() FROM `{table}`")  # noqa: S608 - our table names
        assert count.result_rows == [(0,)]
