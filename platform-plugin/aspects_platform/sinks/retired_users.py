"""Users with a retirement status: PII sinks never write their rows.

edx-platform creates a ``UserRetirementStatus`` row when a retirement starts, well before it
sends ``USER_RETIRE_LMS_MISC``; excluding those users keeps a late signal task or a bulk dump
from writing a row back after the retirement DELETE.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured

from aspects_platform.settings.common import DEFAULT_MODEL_CONFIG

log = logging.getLogger(__name__)

#: EVENT_SINK_CLICKHOUSE_MODEL_CONFIG key of edx-platform's UserRetirementStatus model
#: (the default path is used when the setting has no such key).
RETIREMENT_STATUS_OBJECT = "user_retirement_status"

_warned: set[str] = set()


def retirement_status_model():
    """The configured UserRetirementStatus model, or None (logged once) when not importable."""
    from aspects_platform.sinks.base import get_model  # base imports this module

    try:
        return get_model(RETIREMENT_STATUS_OBJECT, DEFAULT_MODEL_CONFIG[RETIREMENT_STATUS_OBJECT])
    except ImproperlyConfigured as exc:
        message = str(exc)
        if message not in _warned:
            _warned.add(message)
            log.warning("Retired users are not filtered out of the PII sinks: %s", message)
        return None


def retired_user_ids():
    """A subquery of the ids of users with a retirement status, or None when unavailable."""
    model = retirement_status_model()
    if model is None:
        return None
    # NOT IN over a NULL would exclude every row: keep NULLs out of the subquery.
    return model._default_manager.filter(user_id__isnull=False).values("user_id")


def exclude_retired(queryset, user_field: str = "user"):
    """``queryset`` without the rows of retired users (one ``NOT IN`` subquery, no Python)."""
    retired = retired_user_ids()
    if retired is None:
        return queryset
    return queryset.exclude(**{f"{user_field}_id__in": retired})
