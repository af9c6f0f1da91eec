"""Split's course structures in memory: blocks keyed by (type, id), children in order.

Mirrors the structure documents of xmodule/modulestore/split_mongo/split.py: a structure is
one immutable version of a whole course; a write copies it to a new version.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: (block_type, block_id), split's ``BlockKey``.
BlockKey = tuple[str, str]


def new_version() -> str:
    """A fresh structure version id (split uses an ObjectId)."""
    return uuid.uuid4().hex


@dataclass
class BlockData:
    """One block of a structure: its explicitly set settings and its children."""

    block_type: str
    block_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    children: list[BlockKey] = field(default_factory=list)
    edited_on: datetime | None = None
    edited_by: int | None = None

    @property
    def key(self) -> BlockKey:
        """This block's BlockKey."""
        return (self.block_type, self.block_id)

    def copy(self) -> BlockData:
        """A copy whose fields and children can be changed (field values are immutable)."""
        return BlockData(
            self.block_type,
            self.block_id,
            dict(self.fields),
            list(self.children),
            self.edited_on,
            self.edited_by,
        )


@dataclass
class Structure:
    """A course outline version: the root block key and every block."""

    version: str
    root: BlockKey
    blocks: dict[BlockKey, BlockData]

    def parents(self, key: BlockKey) -> list[BlockKey]:
        """Blocks listing ``key`` among their children."""
        return [k for k, block in self.blocks.items() if key in block.children]

    def parent_map(self) -> dict[BlockKey, BlockKey]:
        """Each child's (first) parent; computed once per structure (structures never change
        once saved: writes work on ``new_version()`` copies)."""
        found = self.__dict__.get("_parent_map")
        if found is None:
            found = {}
            for key, block in self.blocks.items():
                for child in block.children:
                    found.setdefault(child, key)
            self.__dict__["_parent_map"] = found
        return found

    def new_version(self) -> Structure:
        """A copy under a new version id, ready to be changed and saved."""
        return Structure(new_version(), self.root, {k: b.copy() for k, b in self.blocks.items()})

    def remove_subtree(self, key: BlockKey) -> None:
        """Delete ``key`` and every descendant no other remaining block points to."""
        block = self.blocks.pop(key, None)
        if block is None:
            return
        for child in block.children:
            if not self.parents(child):
                self.remove_subtree(child)

    def to_json(self) -> str:
        """The structure as stored in ``CourseStructure.blocks`` (datetimes as ``{"$date"}``)."""
        return json.dumps(
            {
                "root": list(self.root),
                "blocks": [
                    [
                        b.block_type,
                        b.block_id,
                        b.fields,
                        b.children,
                        b.edited_on.isoformat() if b.edited_on else None,
                        b.edited_by,
                    ]
                    for b in self.blocks.values()
                ],
            },
            default=_dump_value,
        )

    @classmethod
    def from_json(cls, version: str, text: str) -> Structure:
        """Parse a stored structure."""
        hook = _load_value if '"$date"' in text else None
        data = json.loads(text, object_hook=hook)
        blocks = {}
        for block_type, block_id, fields, children, edited_on, edited_by in data["blocks"]:
            block = BlockData(
                block_type,
                block_id,
                fields,
                [tuple(c) for c in children],
                datetime.fromisoformat(edited_on) if edited_on else None,
                edited_by,
            )
            blocks[block.key] = block
        return cls(version, tuple(data["root"]), blocks)


def _dump_value(value: Any) -> Any:
    """json.dumps ``default``: datetimes (course settings) as ``{"$date": iso}``."""
    if isinstance(value, datetime):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _load_value(value: dict) -> Any:
    """json.loads ``object_hook``: ``{"$date": iso}`` back to a datetime."""
    if set(value) == {"$date"}:
        return datetime.fromisoformat(value["$date"])
    return value
