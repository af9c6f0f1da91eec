"""The embedded server's own life cycle: ``make sandbox-up``/``down`` flow and restarts."""

import os
import socket
import subprocess
import sys

import pytest
import requests

from sandbox.clickhouse_server.process import EmbeddedClickHouse, free_port

SINK_TABLES = {
    "course_overviews",
    "course_blocks",
    "user_profile",
    "external_id",
    "course_enrollment",
    "load_test_runs",
    "load_test_stats",
}


@pytest.fixture
def sandbox_env(clickhouse, tmp_path):
    """Env for the CLI: its own home folder and port, never the developer's .sandbox/."""
    if not clickhouse.is_embedded:
        pytest.skip("the sandbox CLI always runs the embedded server")
    env = dict(os.environ)
    env["ASPECTS_SANDBOX_CLICKHOUSE_HOME"] = str(tmp_path / "sandbox-clickhouse")
    env["ASPECTS_SANDBOX_CLICKHOUSE_PORT"] = str(free_port())
    yield env
    cli(env, "down")


def cli(env, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sandbox.clickhouse_server", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_up_curl_down(sandbox_env):
    home = sandbox_env["ASPECTS_SANDBOX_CLICKHOUSE_HOME"]
    url = f"http://127.0.0.1:{sandbox_env['ASPECTS_SANDBOX_CLICKHOUSE_PORT']}"
    up = cli(sandbox_env, "up")
    assert up.returncode == 0, up.stderr
    password_file = os.path.join(home, "password")
    password = open(password_file).read().strip()
    assert oct(os.stat(password_file).st_mode & 0o777) == "0o600"
    assert password not in up.stdout + up.stderr
    assert url in up.stdout and "user: aspects" in up.stdout
    assert 'curl -u "aspects:$(cat ' in up.stdout and "password)" in up.stdout

    # What the printed curl line does.
    response = requests.get(
        f"{url}/?query=SHOW+TABLES+FROM+event_sink", auth=("aspects", password), timeout=5
    )
    assert response.status_code == 200
    assert SINK_TABLES <= set(response.text.split())

    again = cli(sandbox_env, "up")
    assert again.returncode == 0 and "already up" in again.stdout
    assert cli(sandbox_env, "status").returncode == 0

    down = cli(sandbox_env, "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/ping", timeout=2)
    assert cli(sandbox_env, "status").returncode == 3
    assert "not running" in cli(sandbox_env, "down").stdout


def test_bad_port_is_refused(sandbox_env):
    result = cli({**sandbox_env, "ASPECTS_SANDBOX_CLICKHOUSE_PORT": "http"}, "up")
    assert result.returncode != 0
    assert "ASPECTS_SANDBOX_CLICKHOUSE_PORT='http' is not a TCP port" in result.stderr


def test_restart_keeps_port_password_and_data(clickhouse, tmp_path):
    if not clickhouse.is_embedded:
        pytest.skip("restarts only apply to the embedded server")
    with EmbeddedClickHouse(tmp_path / "restart") as server:
        url, password = server.url, server.password
        client = _client(server)
        client.command("CREATE TABLE kept (id Int64, s String) ENGINE = MergeTree ORDER BY id")
        client.insert("kept", [[1, "before restart"]], column_names=["id", "s"])
        server.stop()
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/ping", timeout=2)
        server.start()
        assert (server.url, server.password) == (url, password)
        assert _client(server).query("SELECT s FROM kept").result_rows == [("before restart",)]
    again = EmbeddedClickHouse(tmp_path / "restart")  # a new object on the same home folder
    with again:
        assert again.url == url
        assert _client(again).command("SELECT count() FROM kept") == 1


def _client(server: EmbeddedClickHouse):
    from aspects_platform.clickhouse.connection import connect

    return connect(server.url, server.username, server.password)


def test_busy_port_is_reported(sandbox_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli({**sandbox_env, "ASPECTS_SANDBOX_CLICKHOUSE_PORT": str(port)}, "up")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
