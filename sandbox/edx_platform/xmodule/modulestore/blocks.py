"""Read-only block objects with the attributes of edx-platform XBlocks that analytics reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from opaque_keys.edx.keys import CourseKey, UsageKey


class SandboxBlock:
    """A block of a course outline, shaped like an XBlock loaded from the modulestore."""

    def __init__(
        self,
        location: UsageKey,
        display_name: str | None,
        graded: bool,
        format: str | None,  # noqa: A002 - edx-platform's field name
        completion_mode: str,
        edited_on: datetime,
        parent: UsageKey | None,
    ) -> None:
        self.location = location
        self.display_name = display_name
        self.graded = graded
        self.format = format
        self.completion_mode = completion_mode
        self.edited_on = edited_on
        self.parent = parent
        self._children: list[SandboxBlock] = []

    def __repr__(self) -> str:
        return f"SandboxBlock({self.location})"

    @property
    def category(self) -> str:
        """The block type (``chapter``, ``problem``...)."""
        return self.location.block_type

    @property
    def scope_ids(self):
        """Minimal ScopeIds-like view: ``usage_id`` and ``block_type``."""
        return _ScopeIds(self.location.block_type, self.location)

    @property
    def usage_key(self) -> UsageKey:
        """Alias of ``location``."""
        return self.location

    @property
    def course_id(self) -> CourseKey:
        """The key of the course holding this block."""
        return self.location.course_key

    @property
    def url_name(self) -> str:
        """The block id part of the location."""
        return self.location.block_id

    @property
    def display_name_with_default(self) -> str:
        """The display name, or the block id with underscores as spaces, as in edx-platform."""
        if self.display_name is not None:
            return self.display_name
        return self.url_name.replace("_", " ")

    @property
    def children(self) -> list[UsageKey]:
        """Usage keys of the children, in outline order."""
        return [child.location for child in self._children]

    @property
    def has_children(self) -> bool:
        """True when the block has at least one child."""
        return bool(self._children)

    def get_children(self) -> list[SandboxBlock]:
        """Child blocks, in outline order."""
        return list(self._children)

    def walk(self) -> Iterator[SandboxBlock]:
        """This block then its descendants, depth first, in outline order."""
        yield self
        for child in self._children:
            yield from child.walk()


class CourseBlock(SandboxBlock):
    """The root block of a course; ``id`` is the course key, as on edx-platform's CourseBlock."""

    @property
    def id(self) -> CourseKey:
        """The course key."""
        return self.location.course_key


class _ScopeIds:
    """The two ScopeIds fields callers use."""

    def __init__(self, block_type: str, usage_id: UsageKey) -> None:
        self.block_type = block_type
        self.usage_id = usage_id
        self.def_id = usage_id
