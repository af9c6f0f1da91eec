"""The Redis event-bus pipeline (ASPECTS_XAPI_PIPELINE=redis_bus) on the sandbox.

The LMS runs the settings the Tutor plugin renders for that pipeline; tracking events go to
Debian's redis-server through edx-event-bus-redis; the consumer runs the command the plugin
renders for its consumer service; ERB in the consumer posts to Ralph. Skipped without
``redis-server``.
"""

import json
from pathlib import Path

import pytest

from tests.platform.conftest import wait_for
from tests.platform.xapi.conftest import (
    NEEDS_REDIS_SERVER,
    manage,
    run_monitored_load_test,
    start_service,
)

REPO = Path(__file__).resolve().parents[3]
STREAM = "openedx-analytics"
GROUP = "analytics-service"

pytestmark = NEEDS_REDIS_SERVER


def consumer_arguments() -> list[str]:
    """The Tutor plugin's consumer command, after its ``./manage.py lms``."""
    from tutoraspects.xapi_settings import consumer_command

    command = consumer_command("redis_bus")
    assert command[:3] == ["./manage.py", "lms", "consume_events"]
    return command[2:]


def group_exists(url: str) -> bool:
    import redis as client

    connection = client.Redis.from_url(url)
    try:
        return any(g["name"].decode() == GROUP for g in connection.xinfo_groups(STREAM))
    except client.ResponseError:  # no stream yet
        return False
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_redis_bus_delivers_every_event_through_the_rendered_consumer(
    sandbox_env, ch, redis, tmp_path
):
    # Batches of 10: the generator's end waits for the stream, then sends the last 5.
    env = {**sandbox_env, "ASPECTS_SANDBOX_XAPI_MODE": "redis_bus"}
    env |= {"ASPECTS_SANDBOX_REDIS_URL": redis.url, "ASPECTS_SANDBOX_XAPI_BATCH_SIZE": "10"}
    consumer = start_service(manage(*consumer_arguments()), env, tmp_path / "consumer.log")
    try:
        assert wait_for(lambda: group_exists(redis.url), timeout=120), (
            tmp_path / "consumer.log"
        ).read_text()[-3000:]
        report_text, report, backlogs = run_monitored_load_test(
            env, "redis_bus", tmp_path,
            "--num_users", "2", "--num_events", "25", "--sleep_time", "0", "--tags", "redis_bus",
        )  # fmt: skip
    finally:
        consumer.terminate()
        consumer.wait(30)

    assert (report.sent, report.arrived, report.lost) == (25, 25, 0), report_text
    # The monitor read the real stream: its length, the group's lag and pending entries.
    assert all(b["stream"] == STREAM and isinstance(b["backlog"], int) for b in backlogs), (
        json.dumps(backlogs)
    )
    assert backlogs[-1]["backlog"] == 0 and backlogs[-1]["lag"] == 0
    assert backlogs[-1]["pending"] == 0
    assert backlogs[-1]["stream_length"] >= 25  # every tracking event went through the stream
    assert "events arrived:  25" in report_text
