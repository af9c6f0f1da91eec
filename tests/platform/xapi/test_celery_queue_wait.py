"""The generator's wait for the Celery queue stops when nothing consumes it (real Redis broker).

A worker killed mid-task leaves its task in kombu's ``unacked`` hash: the backlog never
shrinks again, and a Ctrl-C'd load test must still write its end row instead of waiting for it.
"""

import pytest
from aspects_platform.load_test import events
from aspects_platform.load_test.backlogs import CELERY_QUEUES, CELERY_UNACKED

from sandbox import redis_server

pytestmark = pytest.mark.skipif(
    not redis_server.available(),
    reason="redis-server is not installed (apt-get install redis-server)",
)


class FakeClock:
    """Time that moves only when the code under test sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def broker(tmp_path, settings):
    server = redis_server.RedisServer(tmp_path / "redis").start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = server.url
    yield server
    server.stop()


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def test_a_stuck_backlog_is_waited_for_only_until_it_stops_shrinking(broker):
    client = redis_client(broker.url)
    client.hset(CELERY_UNACKED, "tag-1", "a task a killed worker had reserved")
    clock = FakeClock()
    waited = events.wait_for_queue(
        timeout=300.0, poll=0.5, sleep=clock.sleep, clock=clock, stall=30.0
    )
    assert 30.0 <= waited < 31.0, waited
    assert client.hlen(CELERY_UNACKED) == 1, "nothing is taken off the broker"


def test_a_draining_queue_is_waited_for_until_empty(broker):
    client = redis_client(broker.url)
    queue = CELERY_QUEUES[0]
    client.rpush(queue, *[f"task {i}" for i in range(100)])
    clock = FakeClock()

    def worker_takes_one_per_poll(seconds: float) -> None:  # slower than the stall window
        clock.sleep(seconds)
        client.lpop(queue)

    waited = events.wait_for_queue(
        timeout=300.0, poll=1.0, sleep=worker_takes_one_per_poll, clock=clock, stall=30.0
    )
    assert client.llen(queue) == 0
    assert waited >= 100.0, waited
