"""Learners: auth users, their profiles and (optionally) their xAPI external ids."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from sandbox.lms.seed.bulk import db_datetime, insert_rows, next_id
from sandbox.lms.seed.text import (
    CITIES,
    COUNTRIES,
    EDUCATION,
    GENDERS,
    LANGUAGES,
    learner_bio,
    learner_name,
)

USER_FIELDS = (
    "id",
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
)
PROFILE_FIELDS = (
    "user",
    "name",
    "meta",
    "courseware",
    "language",
    "location",
    "year_of_birth",
    "gender",
    "level_of_education",
    "mailing_address",
    "city",
    "country",
    "state",
    "goals",
    "bio",
    "profile_image_uploaded_at",
    "phone_number",
)
EXTERNAL_ID_FIELDS = ("created", "modified", "external_user_id", "external_id_type", "user")
UNUSABLE_PASSWORD = "!sandbox-unusable"  # starts with "!": Django treats it as unusable


def seed_learners(
    count: int,
    rng: random.Random,
    with_external_ids: bool = True,
    chunk_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> range:
    """Create ``count`` users with profiles (and xAPI external ids); returns their user ids."""
    from common.djangoapps.student.models import UserProfile
    from openedx.core.djangoapps.external_user_ids.models import ExternalId, ExternalIdType

    first = next_id(User)
    ids = range(first, first + count)
    xapi_type = None
    if with_external_ids:
        xapi_type, _ = ExternalIdType.objects.get_or_create(
            name=ExternalIdType.XAPI, defaults={"description": "xAPI learner ids"}
        )
    now = db_datetime(timezone.now())
    for start in range(first, first + count, chunk_size):
        chunk = range(start, min(start + chunk_size, first + count))
        insert_rows(User, USER_FIELDS, (_user_row(i, now) for i in chunk))
        insert_rows(UserProfile, PROFILE_FIELDS, (_profile_row(i, rng) for i in chunk))
        if xapi_type is not None:
            rows = ((now, now, uuid.uuid4().hex, xapi_type.pk, i) for i in chunk)
            insert_rows(ExternalId, EXTERNAL_ID_FIELDS, rows)
        if progress is not None:
            progress(len(chunk))
    return ids


def _user_row(user_id: int, now: str) -> tuple:
    return (
        user_id,
        UNUSABLE_PASSWORD,
        None,
        False,
        f"learner_{user_id}",
        "",
        "",
        f"learner_{user_id}@example.invalid",
        False,
        True,
        now,
    )


def _profile_row(user_id: int, rng: random.Random) -> tuple:
    image_at = None
    if rng.random() < 0.2:
        image_at = db_datetime(timezone.now() - timedelta(days=rng.randint(0, 900)))
    return (
        user_id,
        learner_name(rng),
        "",
        "course.xml",
        rng.choice(LANGUAGES),
        "",
        rng.randint(1950, 2010) if rng.random() < 0.8 else None,
        rng.choice(GENDERS),
        rng.choice(EDUCATION),
        None if rng.random() < 0.7 else f"{rng.randint(1, 999)} Main St, Apt {rng.randint(1, 9)}",
        rng.choice(CITIES),
        rng.choice(COUNTRIES),
        None,
        None if rng.random() < 0.5 else "Learn something new, then teach it.",
        learner_bio(rng),
        image_at,
        None if rng.random() < 0.6 else f"+1-555-{rng.randint(0, 9999):04d}",
    )
