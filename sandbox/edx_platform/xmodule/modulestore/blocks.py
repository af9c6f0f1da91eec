"""Block objects with the attributes of edx-platform XBlocks that analytics and the stand-ins read.

Settings are read and written as on an XBlock (``block.display_name = ...`` then
``store.update_item(block, user_id)``); inheritable fields (``graded``) fall back to the parent's
value as edx-platform's InheritanceMixin does (xmodule/modulestore/inheritance.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from opaque_keys.edx.keys import CourseKey, UsageKey

#: Block types whose completion is the aggregate of their children's.
AGGREGATOR_TYPES = frozenset({"course", "chapter", "sequential", "vertical"})

#: GRADE_CUTOFFS of a course whose grading policy does not set them (the default grading
#: policy edx-platform's CourseBlock merges under ``grading_policy``: one grade, Pass at 50 %).
DEFAULT_GRADE_CUTOFFS = {"Pass": 0.5}

#: Course-level settings CourseOverview reads (xmodule/course_block.py field names).
COURSE_SETTINGS = (
    "start",
    "end",
    "enrollment_start",
    "enrollment_end",
    "self_paced",
    "advertised_start",
    "announcement",
    "invitation_only",
    "max_student_enrollments_allowed",
    "effort",
    "enable_proctored_exams",
    "entrance_exam_enabled",
    "language",
)


def _setting(name: str):
    """A property reading/writing the explicitly set field ``name`` (None when unset)."""

    def get(self) -> Any:
        return self._fields.get(name)

    def put(self, value: Any) -> None:
        self._fields[name] = value

    return property(get, put, doc=f"The ``{name}`` setting.")


class SandboxBlock:
    """A loaded block: its location, settings, children and parent, as an XBlock exposes them."""

    def __init__(
        self,
        location: UsageKey,
        fields: dict[str, Any],
        inherited: dict[str, Any],
        edited_on: datetime | None,
        parent: UsageKey | None,
        children: list[UsageKey],
        loaded,
    ) -> None:
        self.location = location
        self._fields = dict(fields)
        self._inherited = inherited
        self.edited_on = edited_on
        self.parent = parent
        self.children = list(children)
        self._loaded = loaded

    display_name = _setting("display_name")
    format = _setting("format")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location})"

    @property
    def graded(self) -> bool:
        """Set on this block, else inherited from the nearest ancestor that sets it."""
        return bool(self._fields.get("graded", self._inherited.get("graded", False)))

    @graded.setter
    def graded(self, value: bool) -> None:
        self._fields["graded"] = bool(value)

    @property
    def category(self) -> str:
        """The block type (``chapter``, ``problem``...)."""
        return self.location.block_type

    @property
    def completion_mode(self) -> str:
        """``aggregator`` for course/chapter/sequential/vertical, else ``completable``."""
        return "aggregator" if self.category in AGGREGATOR_TYPES else "completable"

    @property
    def scope_ids(self):
        """Minimal ScopeIds-like view: ``usage_id``, ``def_id`` and ``block_type``."""
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
    def has_children(self) -> bool:
        """True when the block has at least one child."""
        return bool(self.children)

    def get_children(self) -> list[SandboxBlock]:
        """Child blocks, in outline order."""
        blocks = (self._loaded.block((key.block_type, key.block_id)) for key in self.children)
        return [block for block in blocks if block is not None]

    def walk(self) -> Iterator[SandboxBlock]:
        """This block then its descendants, depth first, in outline order."""
        yield self
        for child in self.get_children():
            yield from child.walk()

    def explicitly_set(self) -> dict[str, Any]:
        """The settings set on this block itself (what update_item saves)."""
        return dict(self._fields)


class CourseBlock(SandboxBlock):
    """The root block of a course; ``id`` is the course key, as on edx-platform's CourseBlock.

    ``grade_cutoffs`` and ``lowest_passing_grade`` are properties over the ``grading_policy``
    field, as in xmodule/course_block.py (the minimum of the cutoffs; 0.5 for a new course).
    """

    @property
    def grade_cutoffs(self) -> dict[str, float]:
        """The grading policy's GRADE_CUTOFFS (the default policy's when it sets none)."""
        policy = self._fields.get("grading_policy") or {}
        return dict(policy.get("GRADE_CUTOFFS") or DEFAULT_GRADE_CUTOFFS)

    @grade_cutoffs.setter
    def grade_cutoffs(self, value: dict[str, float]) -> None:
        self._fields["grading_policy"] = {
            **(self._fields.get("grading_policy") or {}),
            "GRADE_CUTOFFS": dict(value),
        }

    @property
    def lowest_passing_grade(self) -> float:
        """The lowest cutoff: the grade a learner needs to pass."""
        return min(self.grade_cutoffs.values())

    @property
    def id(self) -> CourseKey:
        """The course key."""
        return self.location.course_key


for _name in COURSE_SETTINGS:
    setattr(CourseBlock, _name, _setting(_name))


class _ScopeIds:
    """The ScopeIds fields callers use."""

    def __init__(self, block_type: str, usage_id: UsageKey) -> None:
        self.block_type = block_type
        self.usage_id = usage_id
        self.def_id = usage_id
