"""Users who asked to be retired: their PII is never written, their usernames never exported.

The marker is edx-platform's ``UserRetirementRequest``: created with the retirement status when
the learner asks to be deleted (well before USER_RETIRE_LMS_MISC), and **kept forever**, unlike
``UserRetirementStatus``, which the pipeline's cleanup deletes. Users whose username has the
retired prefix (``RETIRED_USERNAME_PREFIX``) count as retired too, so users retired before the
request table existed are covered as well. A retirement cancelled while PENDING deletes its
request, and the user is no longer marked.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from aspects_platform.settings.common import DEFAULT_MODEL_CONFIG

log = logging.getLogger(__name__)

#: EVENT_SINK_CLICKHOUSE_MODEL_CONFIG key of edx-platform's UserRetirementRequest model
#: (the default path is used when the setting has no such key).
RETIREMENT_REQUEST_OBJECT = "user_retirement_request"
DEFAULT_RETIRED_USERNAME_PREFIX = "retired__user_"

_warned: set[str] = set()


def retirement_request_model():
    """The configured UserRetirementRequest model, or None (logged once) when not importable."""
    from aspects_platform.sinks.base import get_model  # base imports this module

    try:
        return get_model(RETIREMENT_REQUEST_OBJECT, DEFAULT_MODEL_CONFIG[RETIREMENT_REQUEST_OBJECT])
    except ImproperlyConfigured as exc:
        message = str(exc)
        if message not in _warned:
            _warned.add(message)
            log.warning("Retirement requests cannot be read (retired usernames only): %s", message)
        return None


def retired_username_prefix() -> str:
    """edx-platform's RETIRED_USERNAME_PREFIX."""
    return getattr(settings, "RETIRED_USERNAME_PREFIX", None) or DEFAULT_RETIRED_USERNAME_PREFIX


def retired_user_ids():
    """A subquery of the ids of users with a retirement request, or None when unavailable."""
    model = retirement_request_model()
    if model is None:
        return None
    # NOT IN over a NULL would exclude every row: keep NULLs out of the subquery.
    return model._default_manager.filter(user_id__isnull=False).values("user_id")


def retired(user_field: str = "user") -> Q:
    """Rows whose user asked to be retired (request) or already carries a retired username."""
    condition = Q(**{f"{user_field}__username__startswith": retired_username_prefix()})
    requested = retired_user_ids()
    if requested is not None:
        condition |= Q(**{f"{user_field}_id__in": requested})
    return condition


def exclude_retired(queryset, user_field: str = "user"):
    """``queryset`` without the rows of retired users (SQL only, no Python loop)."""
    return queryset.exclude(retired(user_field))


def users_marked_since(since: datetime) -> list[int]:
    """Users whose retirement request was created at or after ``since``."""
    model = retirement_request_model()
    if model is None:
        return []
    return sorted(
        model._default_manager.filter(created__gte=since).values_list("user_id", flat=True)
    )
