"""Drives a user's retirement from ClickHouse and records it in the LMS database.

``drive`` submits the mutations (UserRetirementSink) and says where the retirement is:
``done`` on a single node once no row of the user is left, ``submitted`` on a cluster (the
mutations run in the background; ``confirm`` checks every replica later). Every step updates
the user's ``ClickHouseRetirement`` row, so a failure, a give-up or a lost task leaves a record
that ``retire_users_from_clickhouse`` reports and re-drives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from aspects_platform import backend
from aspects_platform.models import ClickHouseRetirement
from aspects_platform.sinks import UserRetirementSink, retired_users

log = logging.getLogger(__name__)

#: Clock difference tolerated between LMS processes when looking for recent retirements.
CLOCK_SKEW = timedelta(minutes=5)
ERROR_LIMIT = 2000


class RetirementIncomplete(RuntimeError):
    """Rows of the user are still in ClickHouse after the mutations."""


def record(user_id: int) -> ClickHouseRetirement:
    """The user's record, (re)set to pending: a new retirement must be driven again."""
    found, _ = ClickHouseRetirement.objects.update_or_create(
        user_id=int(user_id), defaults={"state": ClickHouseRetirement.PENDING}
    )
    return found


def mark_attempt(user_id: int) -> None:
    """Count one attempt (the record is created if the signal's write was lost)."""
    ClickHouseRetirement.objects.get_or_create(user_id=int(user_id))
    ClickHouseRetirement.objects.filter(user_id=int(user_id)).update(attempts=F("attempts") + 1)


def mark_failed(user_id: int, error: BaseException) -> None:
    """Keep the retirement pending, with the error that stopped it."""
    text = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
    ClickHouseRetirement.objects.filter(user_id=int(user_id)).exclude(
        state=ClickHouseRetirement.DONE
    ).update(state=ClickHouseRetirement.PENDING, last_error=text)


def mark(user_id: int, state: str) -> None:
    """Move the record to ``state`` (clears the error)."""
    ClickHouseRetirement.objects.filter(user_id=int(user_id)).update(state=state, last_error="")


def drive(client, config: dict[str, Any], user_id: int) -> str:
    """Submit the mutations; ``done`` (checked) on one node, ``submitted`` on a cluster."""
    sink = UserRetirementSink()
    cluster = backend.cluster_name(config)
    sink.retire(client, config["database"], user_id, cluster)
    if cluster:
        mark(user_id, ClickHouseRetirement.SUBMITTED)
        return ClickHouseRetirement.SUBMITTED
    return confirm(client, config, user_id)


def confirm(client, config: dict[str, Any], user_id: int) -> str:
    """``done`` when no row of the user is left on any replica; else RetirementIncomplete."""
    sink = UserRetirementSink()
    remaining = sink.remaining_rows(
        client, config["database"], user_id, backend.cluster_name(config)
    )
    left = {table: count for table, count in remaining.items() if count}
    if left:
        raise RetirementIncomplete(f"user {user_id}: rows still to retire {left}")
    mark(user_id, ClickHouseRetirement.DONE)
    return ClickHouseRetirement.DONE


def retire_again(client, database: str, user_ids: Iterable[int], cluster: str = "") -> None:
    """Run the retirement mutations again for users written after their retirement began."""
    sink = UserRetirementSink()
    for user_id in user_ids:
        log.info("User %s is retired: deleting its rows again after a write", user_id)
        sink.retire(client, database, user_id, cluster)
        if cluster:  # not waited for: --redrive confirms it again
            ClickHouseRetirement.objects.filter(
                user_id=user_id, state=ClickHouseRetirement.DONE
            ).update(state=ClickHouseRetirement.SUBMITTED)


def retire_marked_since(client, database: str, since: datetime, cluster: str = "") -> list[int]:
    """Retire again every user who asked to be retired since ``since`` (minus clock skew).

    The bulk dump calls it after its last INSERT: a page read before a retirement began and
    inserted after its DELETE is deleted again.
    """
    user_ids = retired_users.users_marked_since(since - CLOCK_SKEW)
    retire_again(client, database, user_ids, cluster)
    return user_ids


def retire_marked_since_safely(client, database: str, since: datetime, cluster: str = "") -> None:
    """``retire_marked_since`` after a failed dump: logged, never raised over the dump's error."""
    try:
        retire_marked_since(client, database, since, cluster)
    except Exception:
        log.exception("Could not re-run the retirements begun during the failed dump")
