"""A real Superset for the whole session, set up by our own rendered init job.

``superset`` renders a Tutor root with the real renderer (ClickHouse, Redis and Superset's
metadata database pointing at this machine), runs the rendered ``jobs/init/superset.sh`` twice
with ``.venv-superset`` (the second run must overwrite, not duplicate), then serves Superset
with gunicorn on 127.0.0.1 (a free port) until the session ends. The fixtures are registered
by the root conftest, so every tier shares one server (the superset tier, guest tokens, the
browser test). Superset lets ``TEST_LMS_ORIGIN`` (where the browser tier serves the sandbox
LMS) frame its dashboards. Override ``superset_extra_settings`` in a nested conftest to add
Tutor settings (that folder then gets a Superset of its own).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aspects_platform.clickhouse.identifiers import quote_identifier

from sandbox.clickhouse_server.process import HOST, free_port
from sandbox.clickhouse_server.testing import ClickHouseTarget
from sandbox.redis_server import RedisServer
from sandbox.superset.venv import ensure_venv
from tests.superset.api import SupersetClient
from tests.tutor.freshness import ensure_installed_plugin_is_current
from tests.tutor.rendered import Rendered, render

#: The locales the tier configures: English (the base dashboards) and two copies.
LOCALES = ["en", "fr", "es"]
CLICKHOUSE_SUPERSET_USER = "ch_superset"
CONFIG_FILE = "plugins/aspects/apps/superset/superset_config.py"
ASSETS_FILE = "plugins/aspects/apps/superset/assets.json"
INIT_SCRIPT = "plugins/aspects/jobs/init/superset.sh"
STARTUP_TIMEOUT = 120.0
#: The session fixture (render, two init runs, gunicorn) runs inside the first test's timeout.
TIER_TIMEOUT = 900
#: Where the browser tier serves the sandbox LMS (chosen up front: Superset's frame-ancestors
#: and embedded allowed domains need it before Superset starts). Same host name as Superset, so
#: the browser treats both as one site.
TEST_LMS_PORT = free_port()
TEST_LMS_ORIGIN = f"http://{HOST}:{TEST_LMS_PORT}"


@dataclass
class InitRun:
    """One run of the rendered init job: exit code and everything it printed."""

    returncode: int
    output: str


@dataclass
class SupersetServer:
    """A running Superset set up by our init job (what the fixture yields)."""

    url: str
    admin_username: str
    admin_password: str = field(repr=False)
    lms_username: str = ""
    lms_password: str = field(default="", repr=False)
    guest_token_jwt_secret: str = field(default="", repr=False)
    guest_token_jwt_audience: str = ""
    guest_role: str = "aspects_guest"
    clickhouse_user: str = ""
    clickhouse_password: str = field(default="", repr=False)
    clickhouse: ClickHouseTarget | None = None
    rendered: Rendered | None = None
    bundle: dict[str, Any] = field(default_factory=dict)
    init_runs: list[InitRun] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)
    #: Seconds per set-up step (render, init run 1 and 2, gunicorn until /health).
    timings: dict[str, float] = field(default_factory=dict)
    #: gunicorn's output (Superset's log): shown when a request fails.
    log: Path | None = None

    def log_tail(self, characters: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log else ""

    def client(self, as_lms: bool = False) -> SupersetClient:
        """A REST client logged in as the admin (or as the LMS service user)."""
        if as_lms:
            return SupersetClient.login(self.url, self.lms_username, self.lms_password)
        return SupersetClient.login(self.url, self.admin_username, self.admin_password)


def _job_environment(rendered: Rendered, venv_bin: Path) -> dict[str, str]:
    """The superset-job environment as compose would set it, with this machine's paths."""
    service = rendered.services("local/docker-compose.jobs.yml")["superset-job"]
    environment = {
        key: str(value).replace("$$", "$") for key, value in service["environment"].items()
    }
    environment.update(
        SUPERSET_CONFIG_PATH=str(rendered.env / CONFIG_FILE),
        ASPECTS_SUPERSET_ASSETS=str(rendered.env / ASSETS_FILE),
        PATH=f"{venv_bin}{os.pathsep}/usr/bin:/bin",
        HOME=str(rendered.box.root),
        SUPERSET_HOME=str(rendered.box.root / "superset_home"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return environment


def run_init_job(rendered: Rendered, environment: dict[str, str]) -> InitRun:
    """Run the rendered init script as Tutor does (``sh -e -c``), in Superset's virtualenv."""
    script = rendered.text(INIT_SCRIPT)
    done = subprocess.run(
        ["sh", "-e", "-c", script],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return InitRun(done.returncode, done.stdout + done.stderr)


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"Superset not healthy after {STARTUP_TIMEOUT} s:\n{log.read_text()[-3000:]}"
    )


@pytest.fixture(scope="session")
def superset_extra_settings() -> list[str]:
    """Extra ``tutor config save --set`` values (override in a nested conftest)."""
    return [f"ASPECTS_SUPERSET_EXTRA_FRAME_ORIGINS={json.dumps([TEST_LMS_ORIGIN])}"]


@pytest.fixture(scope="session")
def superset_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Debian's redis-server: Superset's caches and Celery broker, as on Tutor's Redis."""
    server = RedisServer(tmp_path_factory.mktemp("superset-redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def superset(
    tmp_path_factory: pytest.TempPathFactory,
    clickhouse: ClickHouseTarget,
    superset_redis: RedisServer,
    superset_extra_settings: list[str],
) -> Iterator[SupersetServer]:
    """A real Superset, set up by two runs of our rendered init job (see the module doc)."""
    venv_bin = ensure_venv()
    ensure_installed_plugin_is_current()
    base = tmp_path_factory.mktemp("superset")
    timings: dict[str, float] = {}
    started = time.monotonic()
    if clickhouse.is_embedded:
        ch_user = CLICKHOUSE_SUPERSET_USER
        ch_password = clickhouse.embedded.service_password(ch_user)
    else:
        ch_user, ch_password = clickhouse.username, clickhouse.password
    # The connection's default database is the reporting one (its migrations create it); make
    # sure it exists even where they have not run, so the connection can open.
    reporting = getattr(clickhouse.schema, "reporting_database", None) or "reporting"
    clickhouse.client().command(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(reporting)}")
    host_port = clickhouse.url.split("://", 1)[1].rstrip("/")
    ch_host, ch_port = host_port.rsplit(":", 1)
    rendered = render(
        base,
        f"ASPECTS_SUPERSET_DB_URI=sqlite:///{base / 'superset.db'}",
        f"ASPECTS_CLICKHOUSE_HOST={ch_host}",
        f"ASPECTS_CLICKHOUSE_HTTP_PORT={ch_port}",
        f"ASPECTS_CLICKHOUSE_SECURE={str(clickhouse.url.startswith('https')).lower()}",
        f"ASPECTS_CLICKHOUSE_SUPERSET_USER={ch_user}",
        f"ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD={ch_password}",
        f"ASPECTS_EVENT_SINK_DATABASE={clickhouse.event_sink_database}",
        f"ASPECTS_XAPI_DATABASE={clickhouse.xapi_database}",
        f"ASPECTS_XAPI_TABLE={clickhouse.xapi_table}",
        f"ASPECTS_SUPERSET_DASHBOARD_LOCALES={json.dumps(LOCALES)}",
        f"REDIS_HOST={HOST}",
        f"REDIS_PORT={superset_redis.port}",
        f"ASPECTS_REPORTING_DATABASE={reporting}",
        *superset_extra_settings,
    )
    timings["render"] = time.monotonic() - started
    environment = _job_environment(rendered, venv_bin)
    runs = []
    for number in (1, 2):
        started = time.monotonic()
        runs.append(run_init_job(rendered, environment))
        timings[f"init run {number}"] = time.monotonic() - started
    for number, run in enumerate(runs, 1):
        assert run.returncode == 0, f"init job run {number} failed:\n{run.output[-5000:]}"
    config = rendered.config()
    port = free_port()
    url = f"http://{HOST}:{port}"
    log = base / "gunicorn.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                str(venv_bin / "gunicorn"),
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "--timeout",
                "120",
                "--bind",
                f"{HOST}:{port}",
                "superset.app:create_app()",
            ],  # fmt: skip
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = time.monotonic()
        _wait_healthy(url, process, log)
        timings["gunicorn until /health"] = time.monotonic() - started
        print("\nSuperset tier set-up (s):", {k: round(v, 1) for k, v in timings.items()})
        yield SupersetServer(
            url=url,
            admin_username=environment["SUPERSET_ADMIN_USER"],
            admin_password=environment["SUPERSET_ADMIN_PASSWORD"],
            lms_username=environment["SUPERSET_LMS_USER"],
            lms_password=environment["SUPERSET_LMS_PASSWORD"],
            guest_token_jwt_secret=str(config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_SECRET"]),
            guest_token_jwt_audience=str(config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_AUDIENCE"]),
            clickhouse=clickhouse,
            clickhouse_user=ch_user,
            clickhouse_password=ch_password,
            rendered=rendered,
            bundle=json.loads(rendered.text(ASSETS_FILE)),
            init_runs=runs,
            locales=LOCALES,
            timings=timings,
            log=log,
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
