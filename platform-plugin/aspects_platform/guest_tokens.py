"""Superset guest tokens for one course, signed here with Superset's guest-token JWT secret.

Superset accepts an HS256 JWT signed with its ``GUEST_TOKEN_JWT_SECRET`` whose claims are
``user``, ``resources``, ``rls_rules``, ``iat``, ``exp``, ``aud`` and ``type: "guest"``: the
LMS mints one without a Superset login or round trip. The row-level security rules limit every
dataset the guest queries to the course (``org`` and ``course_key``), plus one rule per
``SUPERSET_EXTRA_FILTERS_FORMAT`` entry.
"""

from __future__ import annotations

import logging
import string
import time
from typing import Any

import jwt
from django.conf import settings
from opaque_keys.edx.keys import CourseKey

from aspects_platform.dashboards import embedded_uuids

log = logging.getLogger(__name__)

#: Superset's own default lifetime (GUEST_TOKEN_JWT_EXP_SECONDS); the Embedded SDK fetches a
#: new token before this runs out.
GUEST_TOKEN_LIFETIME_SECS = 300
ALGORITHM = "HS256"


class GuestTokenUnavailable(Exception):
    """Tokens cannot be minted with this configuration (the message says why; no secrets)."""


def string_literal(value: Any) -> str:
    """``value`` as a ClickHouse single-quoted string literal (backslash and quote escaped)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class _LiteralContentFormatter(string.Formatter):
    """``str.format`` whose every substituted value is escaped for a ClickHouse string literal
    (the operator's template supplies the quotes): a name with a quote cannot end the literal."""

    def format_field(self, value: Any, format_spec: str) -> str:
        return string_literal(super().format_field(value, format_spec))[1:-1]


def course_clause(course_key: CourseKey) -> str:
    """The RLS clause that keeps a guest to one course."""
    return f"org = {string_literal(course_key.org)} AND course_key = {string_literal(course_key)}"


def extra_clauses(user: Any, course: Any, course_key: CourseKey) -> list[str]:
    """Each SUPERSET_EXTRA_FILTERS_FORMAT entry formatted with ``user``, ``course`` (the
    course overview) and ``course_id`` (its key); a bad entry raises GuestTokenUnavailable."""
    formatter = _LiteralContentFormatter()
    clauses = []
    entries = getattr(settings, "SUPERSET_EXTRA_FILTERS_FORMAT", None) or []
    for index, entry in enumerate(entries):
        try:
            if not isinstance(entry, str):
                raise TypeError("it is not a string")
            clauses.append(formatter.format(entry, user=user, course=course, course_id=course_key))
        except (KeyError, AttributeError, IndexError, ValueError, TypeError) as exc:
            raise GuestTokenUnavailable(
                f"SUPERSET_EXTRA_FILTERS_FORMAT[{index}] cannot be formatted "
                f"({type(exc).__name__}: {exc}); its placeholders may use user, course and "
                "course_id, e.g. \"course_key = '{course_id}'\""
            ) from exc
    return clauses


def rls_rules(user: Any, course: Any, course_key: CourseKey) -> list[dict[str, str]]:
    """The token's row-level security rules (no dataset: each applies to every dataset)."""
    clauses = [course_clause(course_key), *extra_clauses(user, course, course_key)]
    return [{"clause": clause} for clause in clauses]


def signing_config() -> tuple[str, str]:
    """The shared secret and audience from SUPERSET_CONFIG (GuestTokenUnavailable if unset)."""
    config: dict[str, Any] = getattr(settings, "SUPERSET_CONFIG", None) or {}
    secret = str(config.get("guest_token_jwt_secret") or "")
    audience = str(config.get("guest_token_jwt_audience") or "")
    if not secret or not audience:
        missing = " and ".join(
            name
            for name, value in (
                ("guest_token_jwt_secret", secret),
                ("guest_token_jwt_audience", audience),
            )
            if not value
        )
        raise GuestTokenUnavailable(
            f"SUPERSET_CONFIG has no {missing}: Superset guest tokens cannot be signed"
        )
    return secret, audience


def guest_token_claims(user: Any, course: Any, course_key: CourseKey, audience: str) -> dict:
    """The claims of a guest token for the course's dashboards and their locale copies."""
    now = int(time.time())
    return {
        "user": {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
        },
        "resources": [{"type": "dashboard", "id": uuid} for uuid in embedded_uuids()],
        "rls_rules": rls_rules(user, course, course_key),
        "iat": now,
        "exp": now + GUEST_TOKEN_LIFETIME_SECS,
        "aud": audience,
        "type": "guest",
    }


def mint_guest_token(user: Any, course: Any, course_key: CourseKey) -> str:
    """A signed guest token for ``user`` on the course (GuestTokenUnavailable if it cannot be)."""
    secret, audience = signing_config()
    claims = guest_token_claims(user, course, course_key, audience)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
