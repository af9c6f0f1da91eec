"""The rendered ClickHouse init task, run as aspects-job would run it, against a real engine.

The script and the job environment come from `tutor config save`; only the server address, its
admin account and (for a shared server) the database names are pointed at the test ClickHouse.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from sandbox.clickhouse_server.testing import ClickHouseTarget, unique_schema
from tests.tutor.rendered import Rendered


def test_init_script_applies_the_schema_with_the_job_environment(
    rendered: Rendered, clickhouse: ClickHouseTarget, tmp_path: Path
) -> None:
    script = rendered.text("plugins/aspects/jobs/init/clickhouse.sh")
    job_env = rendered.services("local/docker-compose.jobs.yml")["aspects-job"]["environment"]
    env = {name: str(value).replace("$$", "$") for name, value in job_env.items()}
    schema = unique_schema("aspects_init")
    env.update(
        ASPECTS_CLICKHOUSE_URL=clickhouse.url,
        ASPECTS_CLICKHOUSE_ADMIN_USER=clickhouse.username,
        ASPECTS_CLICKHOUSE_ADMIN_PASSWORD=clickhouse.password,
        # Fresh databases: the run must create and migrate them itself.
        ASPECTS_EVENT_SINK_DATABASE=schema.event_sink_database,
        ASPECTS_XAPI_DATABASE=schema.xapi_database,
    )
    if clickhouse.is_embedded:
        # The embedded engine has no access management (CREATE USER is refused): the service
        # users and grants are exercised only against a real server (ASPECTS_TEST_CLICKHOUSE_URL).
        services = [
            name.removeprefix("ASPECTS_CLICKHOUSE_").removesuffix("_USER")
            for name in env
            if name.startswith("ASPECTS_CLICKHOUSE_") and name.endswith("_USER")
        ]
        assert {"LMS", "SUPERSET", "RALPH"} <= set(services), services
        for service in set(services) - {"ADMIN"}:
            del (
                env[f"ASPECTS_CLICKHOUSE_{service}_USER"],
                env[f"ASPECTS_CLICKHOUSE_{service}_PASSWORD"],
            )
    # `python` in the job container is the openedx venv's; here, this test run's interpreter.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    client = clickhouse.client()
    try:
        done = subprocess.run(
            ["sh", "-e", "-c", script],
            env={**os.environ, **env, "PATH": path, "PYTHONPATH": str(Path.cwd())},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        leaked = [key for key, value in rendered.secrets().items() if value in output]
        assert not leaked, leaked
        tables = client.query(
            "SELECT database, name FROM system.tables WHERE database IN {dbs:Array(String)}",
            parameters={"dbs": [schema.event_sink_database, schema.xapi_database]},
        )
        names = {(row[0], row[1]) for row in tables.result_rows}
        sink = schema.event_sink_database
        assert {(sink, "course_overviews"), (sink, "course_enrollment")} <= names
        assert (schema.xapi_database, env["ASPECTS_XAPI_TABLE"]) in names
    finally:
        dataclasses.replace(clickhouse, schema=schema).drop_databases()
