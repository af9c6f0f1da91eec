"""`tutor local do init` tasks: scripts take secrets from the job environment, never literals."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.tutor.fake_docker import execute_script
from tests.tutor.rendered import Rendered, render, run_settings

SCRIPTS = {
    "clickhouse": "plugins/aspects/jobs/init/clickhouse.sh",
    "superset": "plugins/aspects/jobs/init/superset.sh",
    "lms": "plugins/aspects/jobs/init/lms.sh",
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_scripts_hold_no_generated_secret(rendered: Rendered, name: str) -> None:
    script = rendered.text(SCRIPTS[name])
    leaked = [key for key, value in rendered.secrets().items() if value in script]
    assert not leaked, f"{name} init script holds {leaked}"


def test_clickhouse_init_runs_the_migration_runner(rendered: Rendered) -> None:
    script = rendered.text(SCRIPTS["clickhouse"])
    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert commands == ["python -m aspects_platform.clickhouse.migrate --wait 120"]


def test_superset_init_reads_passwords_from_the_environment(rendered: Rendered) -> None:
    script = rendered.text(SCRIPTS["superset"])
    steps = ("upgrade()", "sync_role_definitions()", "security.add_user(", "ImportAssetsCommand")
    for step in steps:
        assert step in script
    referenced = set(re.findall(r'os.environ\[prefix \+ "(_[A-Z_]+)"\]', script))
    referenced = {
        prefix + suffix for prefix in ("SUPERSET_ADMIN", "SUPERSET_LMS") for suffix in referenced
    }
    assert {"SUPERSET_ADMIN_PASSWORD", "SUPERSET_LMS_PASSWORD"} <= referenced
    job_env = rendered.services("local/docker-compose.jobs.yml")["superset-job"]["environment"]
    assert referenced <= set(job_env), referenced - set(job_env)
    others = set(re.findall(r'os.environ(?:\.get\(|\[)"([A-Z_]+)"', script))
    assert "ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD" in others
    assert others <= set(job_env), others - set(job_env)


def test_superset_init_skips_when_superset_is_not_run(rendered_all_off: Rendered) -> None:
    script = rendered_all_off.text(SCRIPTS["superset"])
    assert "create_app" not in script
    assert "nothing to do" in script


def test_lms_init_creates_the_service_user(rendered: Rendered) -> None:
    config = rendered.config()
    script = rendered.text(SCRIPTS["lms"])
    assert f"./manage.py lms manage_user {config['ASPECTS_LMS_SERVICE_USER']} " in script


AWKWARD_SERVICE_USER = 'o\'neil "x" $HOME;`id` ü *'


def test_lms_init_passes_an_awkward_service_user_through_sh(tmp_path_factory) -> None:
    """The `aspects_shell_quote` filter, as Tutor renders it, survives a real `sh`."""
    root = render(
        tmp_path_factory.mktemp("awkward-service-user"),
        f"ASPECTS_LMS_SERVICE_USER={AWKWARD_SERVICE_USER}",
    )
    host = root.config()["LMS_HOST"]
    script = root.text("plugins/aspects/jobs/init/lms.sh")
    workdir = tmp_path_factory.mktemp("lms-init")
    status, calls = execute_script(script, workdir)
    assert status == 0
    assert calls[0][:4] == [
        "lms",
        "manage_user",
        AWKWARD_SERVICE_USER,
        f"{AWKWARD_SERVICE_USER}@{host}",
    ]


def test_ralph_builds_its_auth_file_in_the_container(rendered: Rendered) -> None:
    start = rendered.text("plugins/aspects/apps/ralph/start.sh")
    assert 'os.environ[prefix + "_PASSWORD"]' in start and "from ralph.cli import cli" in start
    assert not [key for key, value in rendered.secrets().items() if value in start]


# Records the argv of every process a script starts, and the program a `python -` reads.
RECORDING_COMMAND = """#!/bin/sh
printf '%s\\0' "$(basename "$0")" "$@" >> "$RECORD_DIR/argv"
printf '\\n' >> "$RECORD_DIR/argv"
if [ "$1" = "-" ]; then cat > "$RECORD_DIR/stdin.py"; fi
"""


@pytest.mark.parametrize(
    ("script", "service", "commands"),
    [
        ("plugins/aspects/apps/ralph/start.sh", "ralph", ("python", "uvicorn")),
        (SCRIPTS["superset"], "superset-job", ("python",)),
    ],
)
def test_no_password_reaches_a_process_command_line(
    rendered: Rendered, tmp_path, script: str, service: str, commands: tuple[str, ...]
) -> None:
    """Run the script with real `sh` (stand-ins record argv): no secret in any argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in ("python", "uvicorn", "superset", "ralph"):
        (bin_dir / command).write_text(RECORDING_COMMAND)
        (bin_dir / command).chmod(0o755)
    compose = {
        **rendered.services("local/docker-compose.yml"),
        **rendered.services("local/docker-compose.jobs.yml"),
    }
    env = {key: str(value) for key, value in compose[service]["environment"].items()}
    env.update(
        PATH=f"{bin_dir}:/usr/bin:/bin",
        RECORD_DIR=str(tmp_path),
        RALPH_AUTH_FILE=str(tmp_path / "auth" / "auth.json"),
    )
    done = subprocess.run(
        ["sh", "-e", "-c", rendered.text(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = [line.split("\0")[:-1] for line in (tmp_path / "argv").read_text().splitlines()]
    secrets = {key: value for key, value in rendered.secrets().items() if value}
    assert any(value in env.values() for value in secrets.values())
    argv_text = "\n".join(" ".join(call) for call in calls)
    assert not [key for key, value in secrets.items() if value in argv_text]
    assert {call[0] for call in calls} == set(commands)
    # The passwords are read from the environment inside the Python program.
    program = (tmp_path / "stdin.py").read_text()
    compile(program, "stdin.py", "exec")
    assert 'os.environ[prefix + "_PASSWORD"]' in program


def test_do_init_prints_no_secret_and_runs_in_the_job_services(rendered: Rendered) -> None:
    run = rendered.box.tutor("local", "do", "init", "--limit", "aspects")
    assert run.returncode == 0, run.output
    assert run.job_services == ["aspects-job", "superset-job", "lms-job"]
    scripts = "\n".join(call[-1] for call in run.job_calls)
    assert "aspects_platform.clickhouse.migrate --wait 120" in scripts
    everything = run.output + "\n" + scripts
    leaked = [key for key, value in rendered.secrets().items() if value in everything]
    assert not leaked, leaked


def test_job_environment_satisfies_the_migration_runner(rendered: Rendered) -> None:
    """The aspects-job env, read by the runner's own parser, yields the configured users."""
    from aspects_platform.clickhouse.migrate import config_from_env

    config = rendered.config()
    env = rendered.services("local/docker-compose.jobs.yml")["aspects-job"]["environment"]
    migrate = config_from_env({name: str(value) for name, value in env.items()})
    assert migrate.url == "http://clickhouse:8123"
    assert migrate.admin_user == config["ASPECTS_CLICKHOUSE_ADMIN_USER"]
    assert migrate.admin_password == config["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"]
    assert migrate.schema.event_sink_database == config["ASPECTS_EVENT_SINK_DATABASE"]
    assert migrate.schema.xapi_table == config["ASPECTS_XAPI_TABLE"]
    assert migrate.schema.reporting_database == config["ASPECTS_REPORTING_DATABASE"] == "reporting"
    users = {user.name: user.password for user in migrate.users}
    # ch_vector only with ASPECTS_XAPI_PIPELINE=vector (test_xapi_rendering); celery here.
    assert users == {
        config[f"ASPECTS_CLICKHOUSE_{service}_USER"]: config[
            f"ASPECTS_CLICKHOUSE_{service}_PASSWORD"
        ]
        for service in ("LMS", "SUPERSET", "RALPH")
    }


def router_code(script: str) -> str:
    """The Python that the LMS init passes to `./manage.py lms shell -c`."""
    start = script.index('./manage.py lms shell -c "') + len('./manage.py lms shell -c "')
    return script[start : script.index('"', start)]


def test_lms_init_routes_xapi_to_ralph_with_credentials_from_settings(rendered: Rendered) -> None:
    script = rendered.text(SCRIPTS["lms"])
    code = router_code(script)
    compile(code, "lms-shell", "exec")
    assert "settings.ASPECTS_XAPI_LRS" in code
    assert not set("$`\\") & set(code), "the code must survive sh double quotes unchanged"
    config = rendered.config()
    settings = run_settings(rendered.patch("openedx-common-settings"))
    assert settings["ASPECTS_XAPI_LRS"] == {
        "route_url": f"http://ralph:{config['ASPECTS_RALPH_PORT']}/xAPI/",
        "username": config["ASPECTS_RALPH_LMS_USER"],
        "password": config["ASPECTS_RALPH_LMS_PASSWORD"],
    }


def test_no_xapi_routing_without_ralph(rendered_all_off: Rendered) -> None:
    assert "lms shell" not in rendered_all_off.text(SCRIPTS["lms"])
    settings = run_settings(rendered_all_off.patch("openedx-common-settings"))
    assert "ASPECTS_XAPI_LRS" not in settings
