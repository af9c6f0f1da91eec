"""The plugin's `tutor local do …` jobs, run through the real Tutor CLI with a recording docker.

Each test asserts the exact docker argv, then runs the recorded job script with a real `sh -e -c`
against a stand-in `./manage.py` that records its own argv: what Open edX would receive.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.tutor.fake_docker import TutorRun, TutorSandbox, execute_script, job_service
from tests.tutor.rendered import Rendered, render

OBJECTS = [
    "course_overviews",
    "user_profile",
    "external_id",
    "course_enrollment",
    "taxonomy",
    "tag",
    "object_tag",
]
BACKENDS = ["celery", "redis_bus", "kafka_bus", "vector"]
JOBS = [
    "dump-data-to-clickhouse",
    "load-test",
    "init-clickhouse",
    "import-superset-assets",
    "aspects-doctor",
]
DUMP_PROFILES = ["dump-data-to-clickhouse", "--object", "user_profile"]
AWKWARD_IDS = ["course-v1:a+b+c", "with space", "it's", 'say "hi"', "{{ LMS_HOST }}", "$HOME;`id`"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> TutorSandbox:
    return render(tmp_path_factory.mktemp("tutor-do")).box


def run_job(sandbox: TutorSandbox, *do_args: str) -> tuple[TutorRun, str, str]:
    """Run `tutor local do *do_args`; check it started exactly one job; return service, script."""
    run = sandbox.tutor("local", "do", *do_args)
    assert run.returncode == 0, run.output
    assert len(run.job_calls) == 1, run.docker_calls
    call = run.job_calls[0]
    service = job_service(call).removesuffix("-job")
    assert call == sandbox.local_job_argv(service, call[-1])
    return run, service, call[-1]


def assert_runs_manage(script: str, workdir: Path, expected: list[str]) -> None:
    """The script is exactly `./manage.py *expected`, and running it makes that one call."""
    assert shlex.split(script) == ["./manage.py", *expected]
    assert execute_script(script, workdir) == (0, [expected])


def test_every_job_is_listed(sandbox: TutorSandbox) -> None:
    run = sandbox.tutor("local", "do", "--help")
    assert run.returncode == 0, run.output
    for name in JOBS:
        assert name in run.output


@pytest.mark.parametrize(
    ("job", "defaults"),
    [
        ("dump-data-to-clickhouse", ["[default: cms]"]),
        ("load-test", ["[default: celery]", "[default: cms]"]),
        ("aspects-doctor", ["[default: text]", "[default: lms]"]),
    ],
)
def test_help_shows_the_defaults(sandbox: TutorSandbox, job: str, defaults: list[str]) -> None:
    """An operator sees, before running anything, where the job runs and what it measures."""
    run = sandbox.tutor("local", "do", job, "--help")
    assert run.returncode == 0, run.output
    flat = " ".join(run.output.split())
    for default in defaults:
        assert default in flat
    assert run.job_calls == []


def test_dump_passes_only_given_flags(sandbox: TutorSandbox, tmp_path: Path) -> None:
    _, service, script = run_job(sandbox, "dump-data-to-clickhouse", "--object", "course_overviews")
    assert service == "cms"
    expected = ["cms", "dump_data_to_clickhouse", "--object", "course_overviews"]
    assert_runs_manage(script, tmp_path, expected)


def test_dump_passes_every_flag_with_underscore_names(
    sandbox: TutorSandbox, tmp_path: Path
) -> None:
    _, service, script = run_job(
        sandbox,
        "dump-data-to-clickhouse",
        "--object=user_profile",
        "--force",
        "--batch-size=1000",
        "--sleep-time=0.5",
        "--ids=1,2",
        "--ids=3",
        "--ids-to-skip=4",
        "--start-pk=0",
        "--limit=7",
        "--dry-run",
        "--service=lms",
    )
    assert service == "lms"
    expected = [
        "lms",
        "dump_data_to_clickhouse",
        "--object",
        "user_profile",
        "--force",
        "--batch_size",
        "1000",
        "--sleep_time",
        "0.5",
        "--ids",
        "1",
        "2",
        "3",
        "--ids_to_skip",
        "4",
        "--start_pk",
        "0",
        "--limit",
        "7",
        "--dry-run",
    ]
    assert_runs_manage(script, tmp_path, expected)


def test_dump_ids_arrive_intact(sandbox: TutorSandbox, tmp_path: Path) -> None:
    id_flags = [arg for value in AWKWARD_IDS for arg in ("--ids", value)]
    skip_flags = ["--ids-to-skip", "course-v1:x+y+z, with space "]
    _, _, script = run_job(
        sandbox, "dump-data-to-clickhouse", "--object", "course_overviews", *id_flags, *skip_flags
    )
    # The script went through Tutor's Jinja rendering: "{{ LMS_HOST }}" must survive it.
    expected = [
        "cms",
        "dump_data_to_clickhouse",
        "--object",
        "course_overviews",
        "--ids",
        *AWKWARD_IDS,
        "--ids_to_skip",
        "course-v1:x+y+z",
        "with space",
    ]
    assert_runs_manage(script, tmp_path, expected)


@pytest.mark.parametrize(
    ("object_name", "start_pk"),
    [
        ("course_overviews", "course-v1:OpenedX+DemoX+Demo_Course"),
        ("course_overviews", "course-v1:{{ x }}+it's+$HOME"),
        ("external_id", "42"),
    ],
)
def test_dump_start_pk_arrives_intact(
    sandbox: TutorSandbox, tmp_path: Path, object_name: str, start_pk: str
) -> None:
    """The resume point printed by the in-platform command can be passed back through Tutor."""
    _, _, script = run_job(
        sandbox, "dump-data-to-clickhouse", "--object", object_name, "--start-pk", start_pk
    )
    expected = ["cms", "dump_data_to_clickhouse", "--object", object_name, "--start_pk", start_pk]
    assert_runs_manage(script, tmp_path, expected)


def test_load_test_script_and_flags(sandbox: TutorSandbox) -> None:
    _, service, script = run_job(
        sandbox,
        "load-test",
        "--num-users",
        "3",
        "--num-events",
        "20",
        "--sleep-time",
        "0",
        "--tags",
        "nightly run",
        "--tags",
        "it's {% raw %}",
        "--backend",
        "redis_bus",
    )
    assert service == "cms"
    lines = script.splitlines()
    assert shlex.split(lines[0]) == [
        "./manage.py",
        "cms",
        "monitor_load_test_tracking",
        "--backend",
        "redis_bus",
        "&",
    ]
    generator = lines[2].removeprefix("if ").removesuffix("; then")
    assert shlex.split(generator) == [
        "./manage.py",
        "cms",
        "load_test_tracking_events",
        "--num_users",
        "3",
        "--num_events",
        "20",
        "--sleep_time",
        "0.0",
        "--tags",
        "nightly run",
        "it's {% raw %}",
    ]
    # Tutor mounts data/cms-job at the job's /openedx/data (local/docker-compose.jobs.yml).
    where = "on the host: $(tutor config printroot)/data/cms-job/aspects-load-tests/"
    assert where in script


def test_load_test_defaults_to_celery_and_passes_no_other_flag(sandbox: TutorSandbox) -> None:
    _, _, script = run_job(sandbox, "load-test")
    lines = script.splitlines()
    assert shlex.split(lines[0])[2:] == ["monitor_load_test_tracking", "--backend", "celery", "&"]
    assert lines[2] == "if ./manage.py cms load_test_tracking_events; then"


def test_load_test_waits_for_the_monitor(sandbox: TutorSandbox, tmp_path: Path) -> None:
    _, _, script = run_job(sandbox, "load-test", "--num-events", "1")  # the smallest run
    status, calls = execute_script(script, tmp_path, monitor_load_test_tracking="sleep 0.5")
    assert status == 0
    assert sorted(call[1] for call in calls) == [
        "load_test_tracking_events",
        "monitor_load_test_tracking",
    ]
    assert (tmp_path / "finished-monitor_load_test_tracking").exists()


def processes_running_in(workdir: Path) -> list[int]:
    """Pids of live processes whose working directory is ``workdir`` (Linux /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (
                Path(os.readlink(proc / "cwd")) == workdir
                and (proc / "stat").read_text().split()[2] != "Z"
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_load_test_stops_the_monitor_when_the_generator_fails(
    sandbox: TutorSandbox, tmp_path: Path
) -> None:
    _, _, script = run_job(sandbox, "load-test")
    status, _ = execute_script(
        script,
        tmp_path,
        monitor_load_test_tracking="sleep 30",
        load_test_tracking_events="exit 3",
    )
    assert status == 3
    # The monitor was stopped, not waited for: it never finished and no process of it is left.
    assert not (tmp_path / "finished-monitor_load_test_tracking").exists()
    assert processes_running_in(tmp_path) == []


def test_load_test_fails_when_the_monitor_fails(sandbox: TutorSandbox, tmp_path: Path) -> None:
    _, _, script = run_job(sandbox, "load-test")
    status, _ = execute_script(script, tmp_path, monitor_load_test_tracking="exit 4")
    assert status == 4


@pytest.mark.parametrize(
    ("do_args", "must_name"),
    [
        (["dump-data-to-clickhouse", "--object", "nope"], OBJECTS),
        (["dump-data-to-clickhouse"], ["--object"]),
        ([*DUMP_PROFILES, "--batch-size", "0"], ["x>=1"]),
        ([*DUMP_PROFILES, "--sleep-time", "-1"], ["x>=0"]),
        ([*DUMP_PROFILES, "--sleep-time", "nan"], ["x>=0"]),
        ([*DUMP_PROFILES, "--limit", "0"], ["x>=1"]),
        ([*DUMP_PROFILES, "--start-pk", "-1"], ["--start-pk", "flag"]),
        ([*DUMP_PROFILES, "--start-pk", ""], ["--start-pk", "empty value"]),
        ([*DUMP_PROFILES, "--start-pk", "abc"], ["--start-pk", "'abc'", "integer", "user_profile"]),
        (
            ["dump-data-to-clickhouse", "--object", "course_enrollment", "--start-pk", "1.5"],
            ["--start-pk", "integer"],
        ),
        (
            ["dump-data-to-clickhouse", "--object", "course_overviews", "--start-pk", "-x"],
            ["--start-pk", "flag"],
        ),
        ([*DUMP_PROFILES, "--ids", "1,,2"], ["--ids", "empty value"]),
        ([*DUMP_PROFILES, "--ids-to-skip", "--force"], ["--ids-to-skip", "flag"]),
        ([*DUMP_PROFILES, "--ids", "1,-2"], ["--ids", "flag"]),
        (["load-test", "--tags", "--run_until_killed"], ["--tags", "flag"]),
        (
            ["dump-data-to-clickhouse", "--object", "user_profile", "--service", "foo"],
            ["cms", "lms"],
        ),
        (["load-test", "--backend", "x"], BACKENDS),
        (["load-test", "--num-users", "0"], ["x>=1"]),
        (["load-test", "--num-events", "0"], ["x>=1"]),
        (["load-test", "--num-events", "abc"], ["integer"]),
        (["load-test", "--sleep-time", "-0.5"], ["x>=0"]),
        (["load-test", "--service", "studio"], ["cms", "lms"]),
        (["aspects-doctor", "--format", "xml"], ["--format", "'xml'", "text", "json"]),
        (["aspects-doctor", "--service", "studio"], ["cms", "lms"]),
        (["aspects-doctor", "--verbose"], ["--verbose"]),
        (["init-clickhouse", "--adopt-establised"], ["--adopt-establised", "--adopt-established"]),
    ],
)
def test_invalid_flags_exit_2_before_any_container(
    sandbox: TutorSandbox, do_args: list[str], must_name: list[str]
) -> None:
    run = sandbox.tutor("local", "do", *do_args)
    assert run.returncode == 2, run.output
    assert "Error" in run.output
    for word in must_name:
        assert word in run.output
    assert run.job_calls == []


def test_help_documents_how_to_pass_several_ids(sandbox: TutorSandbox) -> None:
    run = sandbox.tutor("local", "do", "dump-data-to-clickhouse", "--help")
    assert run.returncode == 0, run.output
    words = " ".join(run.output.split())  # click wraps help text
    assert "Repeat the flag and/or separate ids with commas" in words
    for name in OBJECTS:
        assert name in run.output


def test_doctor_runs_in_the_lms_with_text_by_default(sandbox: TutorSandbox, tmp_path: Path) -> None:
    _, service, script = run_job(sandbox, "aspects-doctor")
    assert service == "lms"
    assert_runs_manage(script, tmp_path, ["lms", "aspects_doctor", "--format", "text"])


def test_doctor_passes_the_format_and_its_exit_status(
    sandbox: TutorSandbox, tmp_path: Path
) -> None:
    _, service, script = run_job(sandbox, "aspects-doctor", "--format", "json", "--service", "cms")
    assert service == "cms"
    assert shlex.split(script) == ["./manage.py", "cms", "aspects_doctor", "--format", "json"]
    status, calls = execute_script(script, tmp_path, aspects_doctor="exit 1")
    assert (status, calls) == (1, [["cms", "aspects_doctor", "--format", "json"]])


@pytest.fixture(scope="module")
def init_scripts(sandbox: TutorSandbox) -> dict[str, str]:
    """Scripts `do init --limit aspects` runs (the plugin's init tasks), by job service."""
    run = sandbox.tutor("local", "do", "init", "--limit", "aspects")
    assert run.returncode == 0, run.output
    scripts = {}
    for call in run.job_calls:
        service = job_service(call).removesuffix("-job")
        assert call == sandbox.local_job_argv(service, call[-1])
        scripts[service] = call[-1]
    return scripts


def test_init_clickhouse_reruns_the_clickhouse_init_task(
    sandbox: TutorSandbox, init_scripts: dict[str, str]
) -> None:
    _, service, script = run_job(sandbox, "init-clickhouse")
    assert service == "aspects"
    assert script == init_scripts["aspects"]
    assert "python -m aspects_platform.clickhouse.migrate" in script


def test_init_clickhouse_adopt_established_passes_the_flag_to_the_migrations(
    sandbox: TutorSandbox, init_scripts: dict[str, str]
) -> None:
    _, service, script = run_job(sandbox, "init-clickhouse", "--adopt-established")
    assert service == "aspects"
    migrate = "python -m aspects_platform.clickhouse.migrate --wait 120"
    assert script == init_scripts["aspects"].replace(migrate, f"{migrate} --adopt-established")
    assert script != init_scripts["aspects"]
    assert "--adopt-established" not in init_scripts["aspects"]


def test_import_superset_assets_reruns_the_superset_init_task(
    sandbox: TutorSandbox, init_scripts: dict[str, str]
) -> None:
    _, service, script = run_job(sandbox, "import-superset-assets")
    assert service == "superset"
    assert script == init_scripts["superset"]
    assert "ImportAssetsCommand" in script


def test_jobs_run_in_the_dev_project_too(sandbox: TutorSandbox) -> None:
    run = sandbox.tutor("dev", "do", "dump-data-to-clickhouse", "--object", "external_id")
    assert run.returncode == 0, run.output
    (call,) = run.job_calls
    assert call[call.index("--project-name") + 1] == "tutor_dev"
    assert call[call.index("run") :][:4] == ["run", "--rm", "-T", "cms-job"]
    assert shlex.split(call[-1])[3:] == ["--object", "external_id"]


TRICKY_VALUES = [
    "",
    "{",
    "{{",
    "{%",
    "{#",
    "{{ LMS_HOST }}",
    "{% raw %}x{% endraw %}",
    "{#- comment -#}",
    "a{b}c",
    "'",
    '"',
    "\\",
    "$(id)",
    "`id`",
    "line\nbreak",
    "tab\there",
    "}}",
    "%}",
]


def test_quote_survives_tutor_jinja_and_sh() -> None:
    """Every value, once quoted, rendered by Tutor's Jinja and run by sh, is itself again."""
    from tutor import env as tutor_env

    from tutoraspects.commands import quote

    rng = random.Random(42)
    alphabet = "{}%#'\"\\$`; \n\tab-+:"
    values = TRICKY_VALUES + ["".join(rng.choices(alphabet, k=12)) for _ in range(200)]
    script = "printf '%s\\0' " + " ".join(quote(value) for value in values)
    rendered = tutor_env.render_str({}, script)
    done = subprocess.run(["sh", "-e", "-c", rendered], capture_output=True, check=True)
    assert done.stdout.decode().split("\0")[:-1] == values


@pytest.mark.parametrize(
    "do_args",
    [
        ["init"],
        ["init-clickhouse"],
        ["import-superset-assets"],
        ["dump-data-to-clickhouse", "--object", "user_profile", "--ids", "1"],
        ["load-test", "--tags", "x"],
        ["aspects-doctor", "--format", "json"],
    ],
)
def test_no_generated_secret_is_printed_or_passed_on_the_command_line(
    sandbox: TutorSandbox, do_args: list[str]
) -> None:
    secrets = Rendered(sandbox).secrets()
    assert secrets, "the plugin should generate passwords in config.yml"
    run = sandbox.tutor("local", "do", *do_args)
    assert run.returncode == 0, run.output
    assert run.job_calls
    recorded = json.dumps(run.docker_calls)
    for key, secret in secrets.items():
        assert secret not in run.output, f"{key} printed by `do {do_args[0]}`"
        assert secret not in recorded, f"{key} on the docker command line of `do {do_args[0]}`"
