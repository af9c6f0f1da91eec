"""The Celery mode: a real worker and Debian's redis-server, generator and monitor as processes.

Skipped when ``redis-server`` is not installed (CI installs it: ``apt-get install redis-server``).
"""

import json
import sys
from pathlib import Path

import pytest
from redis import Redis

from tests.platform.xapi.conftest import NEEDS_REDIS_SERVER, run_monitored_load_test, start_service

REPO = Path(__file__).resolve().parents[3]

pytestmark = NEEDS_REDIS_SERVER


@pytest.mark.django_db(transaction=True)
def test_celery_worker_mode_delivers_every_event_and_the_monitor_sees_the_queue(
    sandbox_env, ch, redis, tmp_path
):
    env = {**sandbox_env, "ASPECTS_SANDBOX_XAPI_MODE": "celery"}
    env["ASPECTS_SANDBOX_REDIS_URL"] = redis.url
    # The CMS's queue holds a task no worker here consumes: a queue the run does not drain
    # must not make its fully arrived events count as lost.
    broker = Redis.from_url(redis.url)
    broker.lpush("edx.cms.core.default", json.dumps({"body": "a CMS task", "headers": {}}))
    broker.close()
    worker = start_service(
        [sys.executable, "-m", "celery", "-A", "sandbox.lms.celery", "worker", "--pool", "solo",
         "-Q", "edx.lms.core.default", "--loglevel", "WARNING"],
        env, tmp_path / "worker.log",
    )  # fmt: skip
    try:
        report_text, report, backlogs = run_monitored_load_test(
            env, "celery", tmp_path,
            "--num_users", "2", "--num_events", "30", "--sleep_time", "0", "--tags", "celery",
            "1worker",
        )  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(30)

    assert (report.sent, report.arrived, report.lost) == (30, 30, 0), report_text
    assert all(isinstance(backlog["backlog"], int) for backlog in backlogs), json.dumps(backlogs)
    assert backlogs[-1]["queues"]["edx.lms.core.default"] == 0
    assert backlogs[-1]["queues"]["edx.cms.core.default"] == 1
    assert report.queued == backlogs[-1]["backlog"] >= 1
    assert report.peak_backlog == max(backlog["backlog"] for backlog in backlogs)
    assert "events arrived:  30" in report_text
