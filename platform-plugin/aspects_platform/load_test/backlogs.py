"""How many events wait in the chosen pipeline: one reader per ``--backend``.

Each returns ``{"backlog": <int or None>, ...}``; ``None`` with a ``note`` when this deployment
has no such queue to measure (e.g. Celery running eagerly in the sandbox), never an exception.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

from django.conf import settings

BACKENDS = ("celery", "redis_bus", "kafka_bus", "vector")
#: The Celery queues of the LMS and the CMS (Aspects' ERB tasks run there).
CELERY_QUEUES = ("edx.lms.core.default", "edx.cms.core.default")
#: Celery's Redis transport keeps fetched, unacknowledged messages in this hash.
CELERY_UNACKED = "unacked"
REDIS_BUS_TOPIC = "analytics"
KAFKA_GROUP = "analytics-service"
VECTOR_SINK = "clickhouse_xapi"
VECTOR_QUERY = (
    '{ sinks(filter:{componentId:{equals:"%s"}}) { edges { node { ...on Sink { metrics {'
    " receivedEventsTotal { receivedEventsTotal } sentEventsTotal { sentEventsTotal } } } } } } }"
)


def _unmeasurable(note: str) -> dict:
    return {"backlog": None, "note": note}


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def celery() -> dict:
    """Length of the LMS and CMS Celery queues on a Redis broker."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return _unmeasurable("Celery runs tasks eagerly here: no queue")
    url = getattr(settings, "CELERY_BROKER_URL", None) or getattr(settings, "BROKER_URL", None)
    if not url or not str(url).startswith(("redis://", "rediss://", "unix://")):
        return _unmeasurable(
            f"the Celery broker is not Redis ({str(url).split(':')[0]}): no queue length"
        )
    client = _redis(url)
    lengths = {queue: int(client.llen(queue)) for queue in CELERY_QUEUES}
    # Tasks a worker has fetched but not finished wait in the transport's "unacked" hash.
    reserved = int(client.hlen(CELERY_UNACKED))
    return {"backlog": sum(lengths.values()) + reserved, "queues": lengths, "reserved": reserved}


def redis_bus_stream() -> str:
    """The analytics stream: ``<EVENT_BUS_TOPIC_PREFIX>-analytics`` as edx-event-bus-redis
    names it (``analytics`` without a prefix)."""
    prefix = getattr(settings, "EVENT_BUS_TOPIC_PREFIX", None)
    return f"{prefix}-{REDIS_BUS_TOPIC}" if prefix else REDIS_BUS_TOPIC


def redis_bus() -> dict:
    """Events of the analytics stream its consumer groups have not finished: not read yet
    (the group's lag) plus read but not acknowledged (its pending entries)."""
    url = getattr(settings, "EVENT_BUS_REDIS_CONNECTION_URL", None)
    if not url:
        return _unmeasurable("EVENT_BUS_REDIS_CONNECTION_URL is not set: no Redis event bus")
    client = _redis(url)
    stream = redis_bus_stream()
    if not client.exists(stream):
        return {"backlog": 0, "stream": stream, "stream_length": 0}
    info = client.xinfo_stream(stream, full=True)
    groups = info.get("groups") or []
    if not groups:
        length = int(info.get("length", 0))
        note = f"no consumer group reads {stream}: is the consumer running?"
        return {"backlog": length, "stream": stream, "stream_length": length, "note": note}
    lag = sum(int(group.get("lag") or 0) for group in groups)
    pending = sum(int(group.get("pel-count") or 0) for group in groups)
    return {
        "backlog": lag + pending,
        "stream": stream,
        "stream_length": int(info.get("length", 0)),
        "lag": lag,
        "pending": pending,
    }


def kafka_bus() -> dict:
    """Messages of the analytics topic not yet committed by the consumer group."""
    try:
        import confluent_kafka
    except ImportError:
        return _unmeasurable("confluent-kafka is not installed: no Kafka lag")
    servers = getattr(settings, "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", None)
    if not servers:
        return _unmeasurable("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS is not set: no Kafka event bus")
    topic = f"{getattr(settings, 'EVENT_BUS_TOPIC_PREFIX', 'dev')}-analytics"
    consumer = confluent_kafka.Consumer({"bootstrap.servers": servers, "group.id": KAFKA_GROUP})
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        partitions = [
            confluent_kafka.TopicPartition(topic, number)
            for number in metadata.topics[topic].partitions
        ]
        lag = 0
        for partition in consumer.committed(partitions, timeout=10):
            low, high = consumer.get_watermark_offsets(partition, timeout=10, cached=False)
            if high >= 0:
                lag += high - (partition.offset if partition.offset >= 0 else low)
    finally:
        consumer.close()
    return {"backlog": lag, "topic": topic}


def vector() -> dict:
    """Events Vector's ClickHouse sink received but has not sent yet (Vector's GraphQL API)."""
    url = getattr(settings, "ASPECTS_VECTOR_API_URL", "http://vector:8686/graphql")
    body = json.dumps({"query": VECTOR_QUERY % VECTOR_SINK}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            edges = json.load(response)["data"]["sinks"]["edges"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return _unmeasurable(f"Vector's API at {url} did not answer: {error}")
    if not edges:
        return _unmeasurable(f"Vector has no sink {VECTOR_SINK!r}")
    metrics = edges[0]["node"]["metrics"]
    received = (metrics.get("receivedEventsTotal") or {}).get("receivedEventsTotal") or 0
    sent = (metrics.get("sentEventsTotal") or {}).get("sentEventsTotal") or 0
    return {"backlog": int(received - sent), "received": received, "sent": sent}


READERS: dict[str, Callable[[], dict]] = {
    "celery": celery,
    "redis_bus": redis_bus,
    "kafka_bus": kafka_bus,
    "vector": vector,
}


def read_backlog(name: str) -> dict:
    """The backlog of backend ``name``; a reader's failure becomes a note (never raised)."""
    try:
        return READERS[name]()
    except Exception as error:  # noqa: BLE001 - a sample must be stored even then
        return _unmeasurable(f"{name} backlog could not be read: {type(error).__name__}: {error}")
