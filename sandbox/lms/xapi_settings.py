"""xAPI settings of the sandbox LMS: tracking events -> edx-event-routing-backends (ERB) -> Ralph.

Applied only when ERB and event-tracking are importable (the sandbox works without them).
Modes (``ASPECTS_SANDBOX_XAPI_MODE``):

- ``sync`` (default): events are transformed and batched in the emitting process; the batch
  lives in an in-process fake Redis (fakeredis through django-redis), as ERB keeps it in Redis.
- ``celery``: as production (Aspects' default): each event becomes a Celery task on a real
  Redis (``ASPECTS_SANDBOX_REDIS_URL``, e.g. Debian's ``redis-server``), run by a Celery worker
  (``python sandbox/manage.py celery_worker`` or the tests' worker fixture).
- ``redis_bus``: as Aspects' ``ASPECTS_XAPI_PIPELINE=redis_bus``, with the settings lines the
  Tutor plugin renders (``tutoraspects.xapi_settings``): tracking events go to the Redis event
  bus (edx-event-bus-redis, stream ``openedx-analytics`` on ``ASPECTS_SANDBOX_REDIS_URL``), and
  the consumer the plugin runs (``python sandbox/manage.py consume_events ...``, the arguments
  of ``tutoraspects.xapi_settings.consumer_command``) routes them through ERB to Ralph.

Batching follows Aspects' defaults: ``ASPECTS_SANDBOX_XAPI_BATCH_SIZE`` (100) and
``ASPECTS_SANDBOX_XAPI_BATCH_INTERVAL`` (5 s); ``ASPECTS_SANDBOX_XAPI_BATCH_SIZE=0`` turns it off.
"""

from __future__ import annotations

import importlib.util
import os

MODES = ("sync", "celery", "redis_bus")
BACKEND_NAME = "xapi"
#: Must equal ``RouterConfiguration.XAPI_BACKEND`` exactly (SQLite compares case-sensitively).
ROUTER_BACKEND_NAME = "xAPI"
#: The ERB queue Aspects' monitor measures (a Celery queue on Redis).
CELERY_QUEUE = "edx.lms.core.default"


def available() -> bool:
    """True when ERB and event-tracking are installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("event_routing_backends", "eventtracking", "django_redis")
    )


def mode() -> str:
    """The xAPI mode named by ``ASPECTS_SANDBOX_XAPI_MODE`` (``sync`` when unset)."""
    value = os.environ.get("ASPECTS_SANDBOX_XAPI_MODE", "sync").strip().lower()
    if value not in MODES:
        raise ValueError(
            f"ASPECTS_SANDBOX_XAPI_MODE={value!r} is not a mode: choose one of {', '.join(MODES)}"
        )
    return value


def redis_url() -> str | None:
    """``ASPECTS_SANDBOX_REDIS_URL`` (required by the celery mode)."""
    return os.environ.get("ASPECTS_SANDBOX_REDIS_URL") or None


def caches(url: str | None) -> dict:
    """CACHES['default'] on django-redis: a real Redis at ``url``, else in-process fakeredis."""
    options: dict = {"CLIENT_CLASS": "django_redis.client.DefaultClient"}
    if url is None:
        import fakeredis

        options["CONNECTION_POOL_KWARGS"] = {"connection_class": fakeredis.FakeRedisConnection}
        url = "redis://sandbox-fakeredis:6379/0"
    return {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": options}
    }


def tracking_backends(allowed_xapi_events: list[str], asynchronous: bool) -> dict:
    """EVENT_TRACKING_BACKENDS: a routing backend whose ``xapi`` router is ERB's.

    The shape of ERB's own ``event_tracking_backends_config`` without the Caliper router.
    """
    package = "eventtracking.backends"
    routing = "async_routing.AsyncRoutingBackend" if asynchronous else "routing.RoutingBackend"
    # Sync: ERB's sync router, posting to Ralph in a background thread while the next batch
    # forms (aspects_platform.xapi_router).
    router = (
        "event_routing_backends.backends.async_events_router.AsyncEventsRouter"
        if asynchronous
        else "aspects_platform.xapi_router.PipelinedSyncEventsRouter"
    )
    whitelist = "eventtracking.processors.whitelist.NameWhitelistProcessor"
    # Only the asynchronous routing backend takes a name (its Celery task looks it up).
    named = {"backend_name": "event_transformer"} if asynchronous else {}
    return {
        "event_transformer": {
            "ENGINE": f"{package}.{routing}",
            "OPTIONS": {
                **named,
                "processors": [
                    {"ENGINE": whitelist, "OPTIONS": {"whitelist": allowed_xapi_events}}
                ],
                "backends": {
                    BACKEND_NAME: {
                        "ENGINE": router,
                        "OPTIONS": {
                            "backend_name": ROUTER_BACKEND_NAME,
                            "processors": [
                                {
                                    "ENGINE": whitelist,
                                    "OPTIONS": {"whitelist": allowed_xapi_events},
                                },
                                {
                                    "ENGINE": "event_routing_backends.processors.xapi."
                                    "transformer_processor.XApiProcessor",
                                    "OPTIONS": {},
                                },
                            ],
                        },
                    }
                },
            },
        }
    }


def apply(namespace: dict) -> None:
    """Set the xAPI settings in a settings module's ``namespace`` (after ERB's plugin defaults)."""
    current = mode()
    url = redis_url()
    if current != "sync" and url is None:
        raise ValueError(f"ASPECTS_SANDBOX_XAPI_MODE={current} needs ASPECTS_SANDBOX_REDIS_URL")
    apps = namespace["INSTALLED_APPS"]
    for app in ("celery_utils", "eventtracking.django.apps.EventTrackingConfig"):
        if app not in apps:
            apps.append(app)
    namespace["CACHES"] = caches(url)
    batch_size = int(os.environ.get("ASPECTS_SANDBOX_XAPI_BATCH_SIZE", "100"))
    namespace["EVENT_ROUTING_BACKEND_BATCHING_ENABLED"] = batch_size > 0
    namespace["EVENT_ROUTING_BACKEND_BATCH_SIZE"] = max(batch_size, 1)
    namespace["EVENT_ROUTING_BACKEND_BATCH_INTERVAL"] = int(
        os.environ.get("ASPECTS_SANDBOX_XAPI_BATCH_INTERVAL", "5")
    )
    namespace["CALIPER_EVENTS_ENABLED"] = False
    namespace["XAPI_EVENTS_ENABLED"] = True
    namespace["XAPI_EVENT_LOGGING_ENABLED"] = False
    allowed = namespace.get("EVENT_TRACKING_BACKENDS_ALLOWED_XAPI_EVENTS", [])
    namespace["EVENT_TRACKING_BACKENDS"] = tracking_backends(allowed, current == "celery")
    namespace["EVENT_TRACKING_ENABLED"] = True
    namespace["ASPECTS_SANDBOX_XAPI_MODE"] = current
    if current == "redis_bus":
        apply_tutor_bus_settings(namespace, url, batch_size)
    if current == "celery":
        # Worker and LMS processes write the same SQLite file: IMMEDIATE transactions take the
        # write lock up front, so two read-then-write transactions cannot deadlock (Django 5.1+).
        import django

        if django.VERSION >= (5, 1):
            namespace["DATABASES"]["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
        namespace["CELERY_BROKER_URL"] = url
        namespace["CELERY_TASK_ALWAYS_EAGER"] = False
        namespace["CELERY_TASK_DEFAULT_QUEUE"] = CELERY_QUEUE


def apply_tutor_bus_settings(namespace: dict, url: str, batch_size: int) -> None:
    """The lines the Tutor plugin renders for ``ASPECTS_XAPI_PIPELINE=redis_bus``, run in the
    settings namespace as the LMS runs them (plus ``openedx_events``, an edx-platform app that
    connects the producer and has ``consume_events``)."""
    from tutoraspects.xapi_settings import xapi_settings

    config = {
        "ASPECTS_XAPI_PIPELINE": "redis_bus",
        "ASPECTS_EVENT_ROUTING_BATCHING": batch_size > 0,
        "ASPECTS_EVENT_ROUTING_BATCH_SIZE": max(batch_size, 1),
        "ASPECTS_EVENT_ROUTING_BATCH_INTERVAL": namespace["EVENT_ROUTING_BACKEND_BATCH_INTERVAL"],
        "ASPECTS_EVENT_BUS_TOPIC_PREFIX": "openedx",
        "ASPECTS_EVENT_BUS_REDIS_URL": url,
    }
    output_dir = namespace.get("ASPECTS_LOAD_TEST_OUTPUT_DIR")  # the sandbox's, not the image's
    exec("\n".join(xapi_settings(config)), namespace)  # noqa: S102 - our own rendered settings
    namespace["ASPECTS_LOAD_TEST_OUTPUT_DIR"] = output_dir
    if "openedx_events" not in namespace["INSTALLED_APPS"]:
        namespace["INSTALLED_APPS"].append("openedx_events")
