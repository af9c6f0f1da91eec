"""Courses with realistic outlines: chapters > sequentials > verticals > leaf blocks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone
from opaque_keys.edx.keys import CourseKey, UsageKey

SEED_ORG = "SandboxX"
LEAF_TYPES = ("problem", "video", "html")
DETACHED = (
    ("about", "overview", "About"),
    ("course_info", "updates", "Updates"),
    ("static_tab", "syllabus", "Syllabus"),
)
SEQUENTIALS_PER_CHAPTER = 4
VERTICALS_PER_SEQUENTIAL = 3
LEAVES_PER_VERTICAL = 3
GRADED_FORMATS = ("Homework", "Lab", "Exam")


def outline_specs(course_key: CourseKey, total_blocks: int, rng: random.Random) -> list:
    """BlockSpecs for exactly ``total_blocks`` blocks (the course block included).

    Detached blocks (about, course_info, static_tab) are included when ``total_blocks >= 8``.
    """
    from xmodule.modulestore.sandbox_store import BlockSpec

    if total_blocks < 1:
        raise ValueError("a course needs at least 1 block (the course block)")
    detached = DETACHED if total_blocks >= 8 else ()
    budget = total_blocks - 1 - len(detached)
    course_loc = course_key.make_usage_key("course", "course")
    specs = [BlockSpec(t, b, None, {"display_name": name}) for t, b, name in detached]
    specs.extend(_outline(course_loc, budget, rng))
    return specs


def _outline(course_loc: UsageKey, budget: int, rng: random.Random) -> Iterator:
    """Depth-first outline blocks until ``budget`` blocks are produced."""
    from xmodule.modulestore.sandbox_store import BlockSpec

    key = course_loc.course_key
    made = 0
    chapter = 0
    while made < budget:
        chapter += 1
        chapter_loc = key.make_usage_key("chapter", f"chapter_{chapter}")
        yield BlockSpec("chapter", chapter_loc.block_id, course_loc, _named(f"Week {chapter}"))
        made += 1
        for seq in range(1, SEQUENTIALS_PER_CHAPTER + 1):
            if made >= budget:
                return
            seq_loc = key.make_usage_key("sequential", f"seq_{chapter}_{seq}")
            # The last lesson of each week is graded, plus a few others.
            graded = seq == SEQUENTIALS_PER_CHAPTER or rng.random() < 0.2
            fmt = rng.choice(GRADED_FORMATS) if graded else None
            name = f"Lesson {chapter}.{seq}" + (f" ({fmt})" if fmt else "")
            fields = _named(name) | ({"graded": True, "format": fmt} if graded else {})
            yield BlockSpec("sequential", seq_loc.block_id, chapter_loc, fields)
            made += 1
            for unit in range(1, VERTICALS_PER_SEQUENTIAL + 1):
                if made >= budget:
                    return
                unit_loc = key.make_usage_key("vertical", f"unit_{chapter}_{seq}_{unit}")
                yield BlockSpec("vertical", unit_loc.block_id, seq_loc, _named(f"Unit {unit}"))
                made += 1
                for leaf in range(1, LEAVES_PER_VERTICAL + 1):
                    if made >= budget:
                        return
                    block_type = rng.choice(LEAF_TYPES)
                    block_id = f"{block_type}_{chapter}_{seq}_{unit}_{leaf}"
                    name = None if rng.random() < 0.05 else f"{block_type.title()} {leaf}"
                    yield BlockSpec(block_type, block_id, unit_loc, _named(name))
                    made += 1


def _named(name: str | None) -> dict:
    return {} if name is None else {"display_name": name}


def seed_courses(count: int, blocks_per_course: int, rng: random.Random) -> list[CourseKey]:
    """Create ``count`` published courses and their CourseOverviews, with no COURSE_PUBLISHED.

    As a course import with signals off: ``create_course``, the outline on both branches, then
    ``CourseOverview.load_from_module_store`` (what the platform's publish receiver runs).
    """
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import SignalHandler, modulestore
    from xmodule.modulestore.models import CourseIndex

    store = modulestore()
    user_id = ModuleStoreEnum.UserID.mgmt_command
    existing = CourseIndex.objects.count()
    keys = []
    now = timezone.now()
    for number in range(existing + 1, existing + count + 1):
        run = "2026"
        name = f"Sandbox Course {number}" + (", with a comma" if number % 3 == 0 else "")
        fields = {
            "display_name": name,
            "start": now - timedelta(days=30),
            "end": now + timedelta(days=60 + number),
            "enrollment_start": now - timedelta(days=45),
            "enrollment_end": now + timedelta(days=30),
            "self_paced": number % 2 == 0,
            "language": "en",
            "effort": "3 hours/week",
        }
        with SignalHandler.course_published.for_state(is_enabled=False):
            course = store.create_course(SEED_ORG, f"C{number:04d}", run, user_id, fields=fields)
            key = course.id
            store.import_outline(key, outline_specs(key, blocks_per_course, rng), user_id)
        CourseOverview.load_from_module_store(key)
        keys.append(key)
    return keys
