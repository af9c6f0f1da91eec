"""Enrollments of seeded learners in seeded courses (bulk, no signal)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from sandbox.lms.seed.bulk import db_datetime, insert_rows

ENROLLMENT_FIELDS = ("user", "course", "created", "is_active", "mode")
MODES = ("audit", "audit", "audit", "verified", "honor", "professional")


def seed_enrollments(
    user_ids: Sequence[int],
    course_keys: Sequence[CourseKey],
    per_user: int,
    rng: random.Random,
    chunk_size: int = 20_000,
) -> int:
    """Enroll each user in ``per_user`` distinct random courses; ~5 % end up inactive."""
    from common.djangoapps.student.models import CourseEnrollment

    per_user = min(per_user, len(course_keys))
    if per_user <= 0:
        return 0
    keys = [str(key) for key in course_keys]
    now = timezone.now()
    created = 0
    rows: list[tuple] = []
    for user_id in user_ids:
        for key in rng.sample(keys, per_user):
            when = db_datetime(now - timedelta(minutes=rng.randint(0, 60 * 24 * 30)))
            rows.append((user_id, key, when, rng.random() >= 0.05, rng.choice(MODES)))
        if len(rows) >= chunk_size:
            created += insert_rows(CourseEnrollment, ENROLLMENT_FIELDS, rows)
            rows = []
    if rows:
        created += insert_rows(CourseEnrollment, ENROLLMENT_FIELDS, rows)
    return created
