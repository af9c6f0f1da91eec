"""`tutor local do init` tasks: scripts take secrets from the job environment, never literals."""

from __future__ import annotations

import re

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
    for step in ("superset db upgrade", "superset init", "superset fab create-admin"):
        assert step in script
    referenced = set(re.findall(r'"\$([A-Z_]+)"', script))
    assert {"SUPERSET_ADMIN_PASSWORD", "SUPERSET_LMS_PASSWORD"} <= referenced
    job_env = rendered.services("local/docker-compose.jobs.yml")["superset-job"]["environment"]
    assert referenced <= set(job_env), referenced - set(job_env)


def test_superset_init_skips_when_superset_is_not_run(rendered_all_off: Rendered) -> None:
    script = rendered_all_off.text(SCRIPTS["superset"])
    assert "superset db upgrade" not in script
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
    assert '--password "$RALPH_ADMIN_PASSWORD"' in start
    assert '--password "$RALPH_LMS_PASSWORD"' in start
    assert not [key for key, value in rendered.secrets().items() if value in start]


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
    users = {user.name: user.password for user in migrate.users}
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
