"""The sandbox modulestore: course outlines kept in SQLite, read back as block trees."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey, UsageKey

from xmodule.modulestore.blocks import CourseBlock, SandboxBlock

log = logging.getLogger(__name__)

AGGREGATOR_TYPES = {"course", "chapter", "sequential", "vertical"}


@dataclass(frozen=True)
class BlockSpec:
    """One block to add: its parent is a usage key, or None for a detached block."""

    block_type: str
    block_id: str
    parent: UsageKey | None
    display_name: str | None = None
    graded: bool = False
    format: str | None = None  # noqa: A003 - edx-platform's field name


def _as_course_key(course_key: CourseKey | str) -> CourseKey:
    return course_key if isinstance(course_key, CourseKey) else CourseKey.from_string(course_key)


def _completion_mode(block_type: str) -> str:
    return "aggregator" if block_type in AGGREGATOR_TYPES else "completable"


class SandboxModuleStore:
    """get_course/get_items/publish with edx-platform's signatures, over ``BlockRecord`` rows."""

    def has_course(self, course_key: CourseKey | str) -> bool:
        """True when the course block exists."""
        from xmodule.modulestore.models import BlockRecord

        key = _as_course_key(course_key)
        return BlockRecord.objects.filter(course_key=str(key), block_type="course").exists()

    def get_course(
        self,
        course_key: CourseKey | str,
        depth: int | None = None,
        revision: str | None = None,
        **kwargs,
    ) -> CourseBlock | None:
        """The course block with its whole outline loaded (one query), or None."""
        key = _as_course_key(course_key)
        return self._load(key).get(key.make_usage_key("course", "course"))

    def get_item(self, usage_key: UsageKey, depth: int | None = None, **kwargs) -> SandboxBlock:
        """One block by usage key; raises ItemNotFoundError when absent."""
        block = self._load(usage_key.course_key).get(usage_key)
        if block is None:
            raise ItemNotFoundError(usage_key)
        return block

    def get_items(
        self,
        course_key: CourseKey | str,
        qualifiers: Mapping | None = None,
        revision: str | None = None,
        **kwargs,
    ) -> list[SandboxBlock]:
        """Blocks of the course matching ``qualifiers`` (``category``: a name, list or {"$in"})."""
        wanted = _categories((qualifiers or {}).get("category", kwargs.get("category")))
        blocks = self._load(_as_course_key(course_key)).values()
        return [b for b in blocks if wanted is None or b.category in wanted]

    def create_course(
        self,
        org: str,
        course: str,
        run: str,
        user_id: int | None = None,
        display_name: str | None = None,
        **kwargs,
    ) -> CourseBlock:
        """Create the course block (no overview: publishing creates it)."""
        from xmodule.modulestore.models import BlockRecord

        display_name = display_name or (kwargs.get("fields") or {}).get("display_name")

        key = CourseKey.from_string(f"course-v1:{org}+{course}+{run}")
        BlockRecord.objects.create(
            course_key=str(key),
            block_type="course",
            block_id="course",
            display_name=display_name,
            completion_mode="aggregator",
        )
        return self.get_course(key)

    def create_child(
        self,
        user_id: int | None,
        parent_usage_key: UsageKey,
        block_type: str,
        block_id: str | None = None,
        display_name: str | None = None,
        graded: bool = False,
        format: str | None = None,  # noqa: A002 - edx-platform's field name
        **kwargs,
    ) -> SandboxBlock:
        """Append a block as the last child of ``parent_usage_key``."""
        from xmodule.modulestore.models import BlockRecord

        display_name = display_name or (kwargs.get("fields") or {}).get("display_name")

        course_key = parent_usage_key.course_key
        count = BlockRecord.objects.filter(course_key=str(course_key)).count()
        block_id = block_id or f"{block_type}_{count}"
        self.add_blocks(
            course_key,
            [BlockSpec(block_type, block_id, parent_usage_key, display_name, graded, format)],
        )
        return self.get_item(course_key.make_usage_key(block_type, block_id))

    def add_blocks(self, course_key: CourseKey | str, specs: Iterable[BlockSpec]) -> int:
        """Bulk-add blocks in the given order (each appended after its existing siblings)."""
        from xmodule.modulestore.models import BlockRecord

        key = str(_as_course_key(course_key))
        next_position: dict[str, int] = {}
        for parent, position in BlockRecord.objects.filter(course_key=key).values_list(
            "parent", "position"
        ):
            next_position[parent] = max(next_position.get(parent, 0), position + 1)
        now = timezone.now()
        rows = []
        for spec in specs:
            parent = str(spec.parent) if spec.parent is not None else ""
            position = next_position.get(parent, 0)
            next_position[parent] = position + 1
            rows.append(
                BlockRecord(
                    course_key=key,
                    block_type=spec.block_type,
                    block_id=spec.block_id,
                    parent=parent,
                    position=position,
                    display_name=spec.display_name,
                    graded=spec.graded,
                    format=spec.format,
                    completion_mode=_completion_mode(spec.block_type),
                    edited_on=now,
                )
            )
        BlockRecord.objects.bulk_create(rows, batch_size=500)
        return len(rows)

    def delete_course(self, course_key: CourseKey | str, user_id: int | None = None) -> None:
        """Remove every block of the course."""
        from xmodule.modulestore.models import BlockRecord

        BlockRecord.objects.filter(course_key=str(_as_course_key(course_key))).delete()

    def publish(self, course_key: CourseKey | str, user_id: int | None = None) -> None:
        """Refresh the CourseOverview (``modified`` = now) and send COURSE_PUBLISHED.

        Takes a course key or, as edx-platform's ``publish(location, user_id)``, a block location.
        """
        from xmodule.modulestore.django import SignalHandler

        key = _as_course_key(getattr(course_key, "course_key", course_key))
        course = self.get_course(key)
        if course is None:
            raise ItemNotFoundError(key)
        with transaction.atomic():
            _refresh_overview(course)
        SignalHandler.send("course_published", course_key=key)

    def _load(self, course_key: CourseKey) -> dict[UsageKey, SandboxBlock]:
        """Every block of the course by usage key, children linked in position order."""
        from xmodule.modulestore.models import BlockRecord

        rows = (
            BlockRecord.objects.filter(course_key=str(course_key))
            .order_by("parent", "position")
            .values_list(
                "block_type",
                "block_id",
                "parent",
                "display_name",
                "graded",
                "format",
                "completion_mode",
                "edited_on",
            )
        )
        blocks: dict[UsageKey, SandboxBlock] = {}
        parents: list[tuple[SandboxBlock, str]] = []
        by_string: dict[str, SandboxBlock] = {}
        for block_type, block_id, parent, name, graded, fmt, mode, edited_on in rows:
            location = course_key.make_usage_key(block_type, block_id)
            cls = CourseBlock if block_type == "course" else SandboxBlock
            block = cls(location, name, graded, fmt, mode, edited_on, None)
            blocks[location] = block
            by_string[str(location)] = block
            parents.append((block, parent))
        for block, parent in parents:
            parent_block = by_string.get(parent) if parent else None
            if parent_block is not None:
                block.parent = parent_block.location
                parent_block._children.append(block)
        return blocks


class ItemNotFoundError(Exception):
    """Raised when a block or course is not in the store (as edx-platform's exception)."""


def _categories(value) -> set[str] | None:
    """Normalise a ``category`` qualifier: a name, a list/set, or {"$in": [...]}."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("$in", [])
    if isinstance(value, str):
        return {value}
    return set(value)


def _refresh_overview(course: CourseBlock) -> None:
    """Create or update the course's CourseOverview, bumping ``modified``."""
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    key = course.id
    overview = CourseOverview.objects.filter(id=key).first()
    if overview is None:
        overview = CourseOverview(id=key, org=key.org)
    overview.display_name = course.display_name or overview.display_name
    overview.save()  # auto_now sets ``modified``
