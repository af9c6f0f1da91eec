"""The Celery mode: a real worker and Debian's redis-server, generator and monitor as processes.

Skipped when ``redis-server`` is not installed (CI installs it: ``apt-get install redis-server``).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aspects_platform.load_test.report import load_report
from aspects_platform.load_test.store import LoadTestStore

from sandbox import redis_server

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    not redis_server.available(),
    reason="redis-server is not installed (apt-get install redis-server)",
)


@pytest.fixture
def redis(tmp_path):
    server = redis_server.RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def manage(*arguments: str) -> list[str]:
    return [sys.executable, "sandbox/manage.py", *arguments]


@pytest.mark.django_db(transaction=True)
def test_celery_worker_mode_delivers_every_event_and_the_monitor_sees_the_queue(
    sandbox_env, ch, redis, tmp_path
):
    env = {
        **sandbox_env,
        "ASPECTS_SANDBOX_XAPI_MODE": "celery",
        "ASPECTS_SANDBOX_REDIS_URL": redis.url,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sandbox.lms.celery", "worker", "--pool", "solo",
         "-Q", "edx.lms.core.default", "--loglevel", "WARNING"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "worker.log").open("w"),
    )  # fmt: skip
    monitor = subprocess.Popen(
        manage("monitor_load_test_tracking", "--backend", "celery", "--sleep_time", "0.5",
               "--timeout", "120", "--output_dir", str(tmp_path)),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        generator = subprocess.run(
            manage("load_test_tracking_events", "--num_users", "2", "--num_events", "30",
                   "--sleep_time", "0", "--tags", "celery", "1worker"),
            cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        assert generator.returncode == 0, generator.stdout + generator.stderr
        report_text, _ = monitor.communicate(timeout=240)
        assert monitor.returncode == 0, report_text
    finally:
        for process in (monitor, worker):
            if process.poll() is None:
                process.terminate()
                process.wait(30)

    (run_id,) = {row[0] for row in ch.query("SELECT run_id FROM load_test_runs").result_rows}
    report = load_report(LoadTestStore(), run_id)
    assert (report.sent, report.arrived, report.lost) == (30, 30, 0)
    samples = LoadTestStore().samples(run_id)
    backlogs = [sample.stats["backlog"] for sample in samples]
    assert all(isinstance(backlog["backlog"], int) for backlog in backlogs), json.dumps(backlogs)
    assert backlogs[-1]["backlog"] == 0
    assert report.peak_backlog == max(backlog["backlog"] for backlog in backlogs)
    assert "events arrived:  30" in report_text
