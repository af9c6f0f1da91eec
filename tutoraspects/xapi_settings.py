"""LMS/CMS settings of the xAPI pipeline: tracking events -> event-routing-backends (ERB) -> ...

``ASPECTS_XAPI_PIPELINE`` picks how statements travel (the monitor's ``--backend`` names):

- ``celery`` (default): ERB's asynchronous router on the LMS/CMS Celery workers, batched
  (``ASPECTS_EVENT_ROUTING_BATCH_SIZE`` / ``_BATCH_INTERVAL``), posting to Ralph.
- ``redis_bus`` / ``kafka_bus``: tracking events go to the Open edX event bus (topic
  ``analytics``); a consumer service runs ERB's router and posts to Ralph.
- ``vector``: ERB logs each statement (``xapi_tracking`` logger); Vector ships the log lines to
  ClickHouse.

The settings run after ERB's plugin settings (which define ``EVENT_TRACKING_BACKENDS``); every
value is written with ``repr`` (no quoting or injection through a config value).
"""

from __future__ import annotations

import json
import typing as t

from .templating import python_literal

PIPELINES = ("celery", "redis_bus", "kafka_bus", "vector")
EVENT_BUS_SIGNAL = "org.openedx.analytics.tracking.event.emitted.v1"
EVENT_BUS_TOPIC = "analytics"
#: The consumer group name the monitor reads the bus lag of.
EVENT_BUS_GROUP = "analytics-service"
BUS_BACKENDS = {
    "redis_bus": ("edx_event_bus_redis.create_producer", "edx_event_bus_redis.RedisEventConsumer"),
    "kafka_bus": ("edx_event_bus_kafka.create_producer", "edx_event_bus_kafka.KafkaEventConsumer"),
}
TRANSFORMER = 'EVENT_TRACKING_BACKENDS["event_transformer"]'
#: Where the load test's CSV and PNG go in the job container (/openedx/data is a host volume).
LOAD_TEST_OUTPUT_DIR = "/openedx/data/aspects-load-tests"


def pipeline(config: t.Mapping[str, t.Any]) -> str:
    value = config["ASPECTS_XAPI_PIPELINE"]
    if value not in PIPELINES:
        raise ValueError(
            f"ASPECTS_XAPI_PIPELINE={value!r} is not a pipeline: choose one of "
            + ", ".join(PIPELINES)
        )
    return value


def xapi_settings(config: t.Mapping[str, t.Any]) -> list[str]:
    """Python source lines routing tracking events through ERB as the pipeline says."""
    chosen = pipeline(config)
    engine = {
        "celery": "eventtracking.backends.async_routing.AsyncRoutingBackend",
        "redis_bus": "eventtracking.backends.event_bus.EventBusRoutingBackend",
        "kafka_bus": "eventtracking.backends.event_bus.EventBusRoutingBackend",
        "vector": "eventtracking.backends.async_routing.AsyncRoutingBackend",
    }[chosen]
    lines = [
        "# Aspects: tracking events -> event-routing-backends -> xAPI "
        f"({chosen}; see ASPECTS_XAPI_PIPELINE)",
        "CALIPER_EVENTS_ENABLED = False",
        "XAPI_EVENTS_ENABLED = True",
        f"XAPI_EVENT_LOGGING_ENABLED = {chosen == 'vector'!r}",
        "EVENT_ROUTING_BACKEND_BATCHING_ENABLED = "
        + python_literal(bool(config["ASPECTS_EVENT_ROUTING_BATCHING"])),
        "EVENT_ROUTING_BACKEND_BATCH_SIZE = "
        + python_literal(int(config["ASPECTS_EVENT_ROUTING_BATCH_SIZE"])),
        "EVENT_ROUTING_BACKEND_BATCH_INTERVAL = "
        + python_literal(int(config["ASPECTS_EVENT_ROUTING_BATCH_INTERVAL"])),
        # ERB's plugin settings define the "event_transformer" backend (edx-platform has ERB).
        "if 'event_transformer' in globals().get('EVENT_TRACKING_BACKENDS', {}):",
        f"    {TRANSFORMER}['ENGINE'] = {engine!r}",
        f"    {TRANSFORMER}['OPTIONS']['backends'].pop('caliper', None)",
        # The router's name must equal RouterConfiguration.XAPI_BACKEND exactly.
        f"    {TRANSFORMER}['OPTIONS']['backends']['xapi']['OPTIONS']['backend_name'] = 'xAPI'",
    ]
    if chosen in BUS_BACKENDS:
        producer, consumer = BUS_BACKENDS[chosen]
        producer_config = {EVENT_BUS_SIGNAL: {EVENT_BUS_TOPIC: {
            "event_key_field": "tracking_log.name", "enabled": True
        }}}  # fmt: skip
        lines += [
            "SEND_TRACKING_EVENT_EMITTED_SIGNAL = True",
            f"EVENT_BUS_PRODUCER = {producer!r}",
            f"EVENT_BUS_CONSUMER = {consumer!r}",
            "EVENT_BUS_TOPIC_PREFIX = " + python_literal(config["ASPECTS_EVENT_BUS_TOPIC_PREFIX"]),
            "EVENT_BUS_PRODUCER_CONFIG = {**globals().get('EVENT_BUS_PRODUCER_CONFIG', {}), "
            + python_literal(producer_config)[1:-1]
            + "}",
        ]
        if chosen == "redis_bus":
            lines.append(
                "EVENT_BUS_REDIS_CONNECTION_URL = "
                + python_literal(config["ASPECTS_EVENT_BUS_REDIS_URL"])
            )
        else:
            lines += [
                "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS = "
                + python_literal(config["ASPECTS_EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS"]),
                "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL = "
                + python_literal(config["ASPECTS_EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL"]),
            ]
    if chosen == "vector":
        lines.append(
            "ASPECTS_VECTOR_API_URL = "
            + python_literal(f"http://vector:{config['ASPECTS_VECTOR_API_PORT']}/graphql")
        )
    lines.append("ASPECTS_LOAD_TEST_OUTPUT_DIR = " + python_literal(LOAD_TEST_OUTPUT_DIR))
    return lines


#: The service that consumes the tracking-events topic (redis_bus / kafka_bus).
CONSUMER_SERVICE = "aspects-event-bus-consumer"


def consumer_command(chosen: str = "kafka_bus") -> list[str]:
    """The event-bus consumer's command (redis_bus / kafka_bus): openedx-events'
    ``consume_events`` with the consumer named by ``EVENT_BUS_CONSUMER``. It re-emits each
    ``TRACKING_EVENT_EMITTED`` signal; event-tracking's handler hands the event to the
    ``EventBusRoutingBackend``'s ERB router, which posts the statements to Ralph.

    The Redis consumer needs a ``consumer_name`` (without one openedx-events only warns and
    runs an inactive consumer) and ``check_backlog`` (else a restarted consumer skips what the
    group has not read yet); the Kafka consumer takes neither."""
    command = ["./manage.py", "lms", "consume_events", "-t", EVENT_BUS_TOPIC, "-g", EVENT_BUS_GROUP]
    if chosen == "redis_bus":
        extra = {"consumer_name": CONSUMER_SERVICE, "check_backlog": True}
        command += ["--extra", json.dumps(extra, sort_keys=True)]
    return command
