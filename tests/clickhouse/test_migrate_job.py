"""The init job ``python -m aspects_platform.clickhouse.migrate`` as Tutor runs it."""

import dataclasses
import os
import re
import subprocess
import sys
import uuid

import pytest

from sandbox.clickhouse_server.process import PLATFORM_PLUGIN, free_port
from sandbox.clickhouse_server.testing import unique_schema
from tests.clickhouse.relay import Relay


def job_env(clickhouse, schema, **extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ASPECTS_CLICKHOUSE_", "ASPECTS_EVENT_SINK", "ASPECTS_XAPI"))
    }
    env.update(
        # The job runs this tree's code, not an installed copy of the app.
        PYTHONPATH=os.pathsep.join(filter(None, [str(PLATFORM_PLUGIN), env.get("PYTHONPATH")])),
        ASPECTS_CLICKHOUSE_URL=clickhouse.url,
        ASPECTS_CLICKHOUSE_ADMIN_USER=clickhouse.username,
        ASPECTS_CLICKHOUSE_ADMIN_PASSWORD=clickhouse.password,
        ASPECTS_EVENT_SINK_DATABASE=schema.event_sink_database,
        ASPECTS_XAPI_DATABASE=schema.xapi_database,
    )
    env.update(extra)
    return env


def run_job(env, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aspects_platform.clickhouse.migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def schema(clickhouse):
    schema = unique_schema("job")
    yield schema
    dataclasses.replace(clickhouse, schema=schema).drop_databases()


def test_job_applies_migrations_then_is_a_no_op(clickhouse, schema):
    tag = uuid.uuid4().hex[:6]
    users = {}
    args = ["--wait", "10"]
    if clickhouse.is_embedded:
        args.append("--skip-users")
    else:
        for service in ("LMS", "SUPERSET", "RALPH"):
            users[f"ASPECTS_CLICKHOUSE_{service}_USER"] = f"aspects_job_{service.lower()}_{tag}"
            users[f"ASPECTS_CLICKHOUSE_{service}_PASSWORD"] = f"pw-{uuid.uuid4().hex}"
    env = job_env(clickhouse, schema, **users)
    try:
        first = run_job(env, *args)
        assert first.returncode == 0, first.stderr
        assert "applied migration 0001_databases" in first.stdout
        assert "applied migration 0004_xapi_events" in first.stdout
        second = run_job(env, *args)
        assert second.returncode == 0, second.stderr
        assert "schema up to date" in second.stdout
        assert "applied migration" not in second.stdout
        for output in (first.stdout + first.stderr, second.stdout + second.stderr):
            assert clickhouse.password not in output
            assert not any(p in output for k, p in users.items() if k.endswith("PASSWORD"))
        tables = clickhouse.client().query(
            "SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name",
            parameters={"db": schema.event_sink_database},
        )
        assert ("user_profile",) in tables.result_rows
    finally:
        if not clickhouse.is_embedded:
            for key, name in users.items():
                if key.endswith("_USER"):
                    clickhouse.client().command(f"DROP USER IF EXISTS `{name}`")


def test_password_can_come_from_a_file(clickhouse, schema, tmp_path):
    secret = tmp_path / "admin_password"
    secret.write_text(clickhouse.password + "\n")
    env = job_env(clickhouse, schema, ASPECTS_CLICKHOUSE_ADMIN_PASSWORD_FILE=str(secret))
    del env["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"]
    result = run_job(env, "--skip-users")
    assert result.returncode == 0, result.stderr


def test_missing_configuration_names_every_missing_variable(clickhouse, schema):
    env = job_env(clickhouse, schema, ASPECTS_CLICKHOUSE_LMS_USER="ch_lms")
    del env["ASPECTS_CLICKHOUSE_URL"]
    del env["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"]
    result = run_job(env)
    assert result.returncode == 2
    for name in (
        "ASPECTS_CLICKHOUSE_URL",
        "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD",
        "ASPECTS_CLICKHOUSE_LMS_PASSWORD",
    ):
        assert name in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ASPECTS_EVENT_SINK_DATABASE", "x; DROP DATABASE y", "invalid ClickHouse"),
        ("ASPECTS_CLICKHOUSE_CLUSTER", "a-b", "invalid ClickHouse cluster name"),
        ("ASPECTS_CLICKHOUSE_URL", "ftp://clickhouse", "must start with one of: http://"),
    ],
)
def test_bad_values_exit_2_with_a_clear_message(clickhouse, schema, variable, value, message):
    result = run_job(job_env(clickhouse, schema, **{variable: value}), "--skip-users")
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://ch_admin:S3cretPassw0rd@clickhouse:8123",
        "ch_admin:S3cretPassw0rd@clickhouse:8123",
        "http://ch_admin:S3cret/Passw0rd@clickhouse:8123/db",
        "http://clickhouse:8123/?password=S3cretPassw0rd",
    ],
)
def test_a_password_in_the_url_is_never_printed(clickhouse, schema, url):
    result = run_job(job_env(clickhouse, schema, ASPECTS_CLICKHOUSE_URL=url), "--skip-users")
    assert result.returncode == 2
    assert "ClickHouse URL" in result.stderr
    output = result.stdout + result.stderr
    assert "S3cret" not in output and "Passw0rd" not in output


def test_wrong_admin_password_fails_with_clickhouse_error(clickhouse, schema):
    wrong = clickhouse.password + "-wrong"
    env = job_env(clickhouse, schema, ASPECTS_CLICKHOUSE_ADMIN_PASSWORD=wrong)
    result = run_job(env, "--skip-users")
    assert result.returncode == 1
    assert "516" in result.stderr and "Authentication failed" in result.stderr
    assert wrong not in result.stdout + result.stderr


def test_wait_polls_then_gives_up_with_a_message(clickhouse, schema):
    port = free_port()
    env = job_env(clickhouse, schema, ASPECTS_CLICKHOUSE_URL=f"http://127.0.0.1:{port}")
    result = run_job(env, "--wait", "2", "--skip-users")
    assert result.returncode == 1
    assert result.stdout.count(f"waiting for ClickHouse at http://127.0.0.1:{port} ...") == 1
    attempts = re.search(
        r"did not answer /ping within 2s \((\d+) attempts; last error: ", result.stderr
    )
    assert attempts and int(attempts.group(1)) > 1, result.stderr
    assert "applied migration" not in result.stdout


def test_wait_proceeds_as_soon_as_clickhouse_answers(clickhouse, schema):
    port = free_port()
    env = job_env(clickhouse, schema, ASPECTS_CLICKHOUSE_URL=f"http://127.0.0.1:{port}")
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aspects_platform.clickhouse.migrate",
            "--wait",
            "120",
            "--skip-users",
        ],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    relay = None
    try:
        assert job.stdout.readline().startswith("waiting for ClickHouse at"), "it waits"
        relay = Relay(clickhouse.url, port=port)  # ClickHouse comes up on that port
        out, err = job.communicate(timeout=60)
    finally:
        job.kill()
        job.wait()
        if relay:
            relay.close()
    assert job.returncode == 0, err
    assert "applied migration 0001_databases" in out
    pings = [r for r in relay.requests() if r.line.startswith("GET /ping ")]
    assert len(pings) == 1, "one successful ping, then the migrations"


def test_negative_wait_is_refused(clickhouse, schema):
    result = run_job(job_env(clickhouse, schema), "--wait", "-1")
    assert result.returncode == 2
    assert "--wait must be 0 or more seconds" in result.stderr
