"""``course_blocks``: every block of a published course, in outline order, with its numbering."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

from aspects_platform.sinks.base import RUN_COLUMNS, DumpRun
from aspects_platform.sinks.encoding import FORMAT, columns_body, json_text, utc_datetime

log = logging.getLogger(__name__)

#: Used when edx-platform's ``store_utilities`` cannot be imported.
FALLBACK_DETACHED_TYPES = frozenset({"static_tab", "about", "course_info"})

COLUMNS = (
    "org",
    "course_key",
    "location",
    "display_name",
    "block_type",
    "section",
    "subsection",
    "unit",
    "graded",
    "detached",
    "xblock_data_json",
    "order",
    "edited_on",
)


def detached_block_types() -> frozenset[str]:
    """edx-platform's DETACHED_XBLOCK_TYPES (blocks that are not part of the outline)."""
    try:
        from xmodule.modulestore.store_utilities import DETACHED_XBLOCK_TYPES
    except ImportError:
        return FALLBACK_DETACHED_TYPES
    return frozenset(DETACHED_XBLOCK_TYPES)


def published_branch(store, course_key):
    """A context reading the published branch, whatever the process default.

    ``get_course`` ignores ``revision=`` and follows the branch setting (split_draft.py), and
    the CMS defaults to draft-preferred: only ``branch_setting`` makes it read published content.
    """
    try:
        from xmodule.modulestore import ModuleStoreEnum
    except ImportError:
        return nullcontext()
    return store.branch_setting(ModuleStoreEnum.Branch.published_only, course_key)


def _location_text(location) -> str:
    """The usage key without branch or version, as analytics joins on it (split's blocks
    carry both; ``for_branch(None)`` drops the version too, and a plain key is not copied)."""
    course_key = location.course_key
    if course_key.branch or course_key.version_guid:
        location = location.for_branch(None)
    return str(location)


#: block type -> the parent block type that makes it a section, subsection or unit.
NUMBERED_UNDER = {"chapter": "course", "sequential": "chapter", "vertical": "sequential"}


def outline_order(course) -> Iterator[tuple[Any, str]]:
    """(block, parent block type) for the course and its descendants, depth first, in order."""
    stack: list[tuple[Any, str]] = [(course, "")]
    while stack:
        block, parent_type = stack.pop()
        yield block, parent_type
        block_type = block.location.block_type
        stack.extend((child, block_type) for child in reversed(block.get_children()))


def outline_numbers(outline: list[tuple[Any, str]]) -> list[tuple[int, int, int]]:
    """(section, subsection, unit) of each outline block.

    Only a chapter directly under the course opens a section, a sequential directly under a
    chapter a subsection, and a vertical directly under a sequential a unit; any other block
    (including verticals nested in a unit, such as split_test groups) keeps the enclosing numbers.
    """
    section = subsection = unit = 0
    numbers = []
    for block, parent_type in outline:
        block_type = block.location.block_type
        if NUMBERED_UNDER.get(block_type) == parent_type:
            if block_type == "chapter":
                section, subsection, unit = section + 1, 0, 0
            elif block_type == "sequential":
                subsection, unit = subsection + 1, 0
            else:
                unit += 1
        numbers.append((section, subsection, unit))
    return numbers


class XBlockSink:
    """Writes the blocks of one course to ``course_blocks`` in a single INSERT."""

    table = "course_blocks"

    @staticmethod
    def column_names() -> list[str]:
        """Every column written, in order (RUN_COLUMNS last)."""
        return [*COLUMNS, *RUN_COLUMNS]

    def course_blocks(self, course_key) -> tuple[list[tuple[Any, str]], list[Any]] | None:
        """((block, parent type) in outline order, detached blocks) of the published course,
        or None if absent."""
        from xmodule.modulestore.django import modulestore

        store = modulestore()
        detached_types = detached_block_types()
        with published_branch(store, course_key):
            course = store.get_course(course_key, depth=None)
            if course is None:
                return None
            detached = [
                block
                for block in store.get_items(
                    course_key, qualifiers={"category": {"$in": sorted(detached_types)}}
                )
                if block.location.block_type in detached_types
            ]
        detached.sort(key=lambda b: (b.location.block_type, str(b.location)))
        return list(outline_order(course)), detached

    def rows(
        self, course_key, run: DumpRun, tags: dict[str, list[int]]
    ) -> list[tuple[Any, ...]] | None:
        """Encoded rows for every block of the course, or None when the course is not found.

        ``tags``: object id -> tag ids (``tags.tag_ids_by_object``).
        """
        blocks = self.course_blocks(course_key)
        if blocks is None:
            return None
        outline, detached = blocks
        org, key_text = course_key.org, str(course_key)
        all_blocks = [block for block, _ in outline] + detached
        all_numbers = outline_numbers(outline) + [(0, 0, 0)] * len(detached)
        rows = []
        for order, (block, numbers) in enumerate(
            zip(all_blocks, all_numbers, strict=True), start=1
        ):
            block_type = block.location.block_type
            location = _location_text(block.location)
            is_detached = order > len(outline)
            graded = bool(getattr(block, "graded", False))
            data = {
                "course": course_key.course,
                "run": course_key.run,
                "block_type": block_type,
                "detached": is_detached,
                "graded": graded,
                "completion_mode": str(getattr(block, "completion_mode", "") or ""),
                "section": numbers[0],
                "subsection": numbers[1],
                "unit": numbers[2],
                "tags": tags.get(location, []),
            }
            rows.append(
                (
                    org,
                    key_text,
                    location,
                    block.display_name_with_default or "",
                    block_type,
                    *numbers,
                    graded,
                    is_detached,
                    json_text(data),
                    order,
                    utc_datetime(getattr(block, "edited_on", None)),
                    run.dump_id,
                    run.time_last_dumped,
                )
            )
        return rows

    def insert(self, client, qualified_table: str, course_key, rows: list | None) -> None:
        """Write the blocks of one course (one INSERT; none when the course is gone)."""
        if rows is None:
            log.warning("Course %s is not in the modulestore: no blocks written", course_key)
        elif rows:
            body = columns_body(list(zip(*rows, strict=True)))
            client.raw_insert(qualified_table, self.column_names(), body, fmt=FORMAT)
