"""``user_profile``: the learner's profile (PII), written when something it exports changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import connections

from aspects_platform.sinks.base import Column, ModelSink
from aspects_platform.sinks.encoding import utc_datetime

#: The ``meta`` key where edx-platform keeps the login's Django session key
#: (``UserProfile.set_login_session``, on every login and logout).
SESSION_KEY = "session_id"


def meta_without_session(meta: str | None) -> str | None:
    """``meta`` minus the session key: a live login credential never leaves the LMS.

    The other keys (the extended profile fields an operator collects at registration) are
    profile data like the other columns, and stay. Text without the session key passes
    through unchanged (no parsing in bulk dumps); unparsable text that mentions it is dropped.
    """
    if not meta or SESSION_KEY not in meta:
        return meta
    try:
        parsed = json.loads(meta)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    if SESSION_KEY not in parsed:
        return meta
    del parsed[SESSION_KEY]
    return json.dumps(parsed) if parsed else ""


class UserProfileSink(ModelSink):
    """UserProfile rows, joined with the user's username and email."""

    object_name = "user_profile"
    table = "user_profile"
    user_field = "user"
    columns = (
        Column("id"),
        Column("user_id"),
        Column("name"),
        Column("username", "user__username"),
        Column("email", "user__email"),
        Column("meta", encode=meta_without_session),
        Column("courseware"),
        Column("language"),
        Column("location"),
        Column("year_of_birth"),
        Column("gender"),
        Column("level_of_education"),
        Column("mailing_address"),
        Column("city"),
        Column("country"),
        Column("state"),
        Column("goals"),
        Column("bio"),
        Column("profile_image_uploaded_at", encode=utc_datetime),
        Column("phone_number"),
    )

    @classmethod
    @cache
    def profile_columns(cls) -> tuple[Column, ...]:
        """Columns read from the profile row itself (username and email are the user's)."""
        return tuple(c for c in cls.columns if all("__" not in lookup for lookup in c.lookups))

    @classmethod
    @cache
    def profile_fields(cls) -> tuple[str, ...]:
        """The profile fields those columns read, in order."""
        return tuple(lookup for c in cls.profile_columns() for lookup in c.lookups)

    @classmethod
    def exported_state(cls, value_of: Callable[[str], Any]) -> tuple:
        """What the sink writes from a profile's own fields, given each field's value."""
        state = []
        for column in cls.profile_columns():
            values = [value_of(lookup) for lookup in column.lookups]
            state.append(column.encode(*values) if column.encode else tuple(values))
        return tuple(state)

    @classmethod
    def stored_state(cls, model, pk: Any, using: str, lock: bool) -> tuple | None:
        """``exported_state`` of the stored profile ``pk`` (None when there is none).

        One primary-key SELECT, compiled once per model, database and lock mode (the ORM's
        compilation costs more than the query). ``lock`` reads it FOR UPDATE.
        """
        with connections[using].cursor() as cursor:
            cursor.execute(_stored_row_sql(cls, model, using, lock), [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        stored = dict(zip(cls.profile_fields(), row, strict=True))
        return cls.exported_state(stored.__getitem__)


@cache
def _stored_row_sql(sink: type[UserProfileSink], model, using: str, lock: bool) -> str:
    """SQL reading ``sink.profile_fields()`` of one row by primary key (one ``%s``)."""
    rows = model._base_manager.using(using).filter(pk=0).values_list(*sink.profile_fields())
    if lock:
        rows = rows.select_for_update()
    sql, params = rows.query.get_compiler(using).as_sql()
    if list(params) != [0]:
        raise RuntimeError(f"unexpected parameters {params!r} in {sql}")
    return sql
