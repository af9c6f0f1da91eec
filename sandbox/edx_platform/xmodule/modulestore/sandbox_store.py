"""The sandbox split store: a draft and a published branch per course, with split's API.

Mirrors edx-platform's ``DraftVersioningModuleStore`` (xmodule/modulestore/split_mongo/
split_draft.py) over split's copy/publish rules (split_mongo/split.py ``copy``), the branch
setting (draft_and_published.py ``BranchSettingMixin``), bulk operations and deferred
COURSE_PUBLISHED (xmodule/modulestore/__init__.py ``BulkOperationsMixin``), and the ``None``
answer of ``get_course`` for a missing course (mixed.py). Structures live in SQLite
(``CourseIndex`` + ``CourseStructure``) and loaded ones are kept in the request cache by
version, as split does (``request_cache.data['course_cache']``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey, UsageKey
from opaque_keys.edx.locator import CourseLocator

from xmodule.modulestore import ModuleStoreEnum
from xmodule.modulestore.blocks import CourseBlock, SandboxBlock
from xmodule.modulestore.draft_and_published import (
    DIRECT_ONLY_CATEGORIES,
    UnsupportedRevisionError,
)
from xmodule.modulestore.exceptions import DuplicateCourseError, ItemNotFoundError
from xmodule.modulestore.inheritance import INHERITABLE_FIELDS
from xmodule.modulestore.structure import BlockData, BlockKey, Structure, new_version

log = logging.getLogger(__name__)

#: ``blacklist`` value of ``publish``: copy the block only, none of its children (split.py).
EXCLUDE_ALL = "*"
DRAFT = ModuleStoreEnum.BranchName.draft
PUBLISHED = ModuleStoreEnum.BranchName.published
BRANCH_REVISION = {
    DRAFT: ModuleStoreEnum.RevisionOption.draft_only,
    PUBLISHED: ModuleStoreEnum.RevisionOption.published_only,
}

__all__ = ["DraftVersioningModuleStore", "EXCLUDE_ALL", "ItemNotFoundError", "BlockSpec"]


@dataclass(frozen=True)
class BlockSpec:
    """One block of a bulk import (seeder only): parent None for a detached block."""

    block_type: str
    block_id: str
    parent: UsageKey | None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class _BulkRecord:
    """An active bulk operation on one course (``BulkOpsRecord``)."""

    nesting: int = 0
    dirty: bool = False
    has_publish_item: bool = False


def _course_key(key: CourseKey | str) -> CourseKey:
    return key if isinstance(key, CourseKey) else CourseKey.from_string(key)


def _block_key(location: UsageKey) -> BlockKey:
    return (location.block_type, location.block_id)


class DraftVersioningModuleStore:
    """Split with a draft branch that falls back to a published branch."""

    def __init__(
        self,
        branch_setting_func: Callable[[], str | None] | None = None,
        request_cache=None,
        signal_handler=None,
    ) -> None:
        self.default_branch_setting_func = branch_setting_func or (
            lambda: ModuleStoreEnum.Branch.published_only
        )
        self.request_cache = request_cache
        self.signal_handler = signal_handler
        self.thread_cache = threading.local()
        self._bulk = threading.local()

    # --- branch setting (draft_and_published.BranchSettingMixin) ---------------------------
    @contextmanager
    def branch_setting(self, branch_setting: str, course_id=None) -> Iterator[None]:
        """Use ``branch_setting`` on this thread for the duration of the block."""
        previous = getattr(self.thread_cache, "branch_setting", None)
        self.thread_cache.branch_setting = branch_setting
        try:
            yield
        finally:
            self.thread_cache.branch_setting = previous

    def get_branch_setting(self, course_id=None) -> str:
        """The thread's branch setting, else the process default (``MODULESTORE_BRANCH``)."""
        return getattr(self.thread_cache, "branch_setting", None) or (
            self.default_branch_setting_func() or ModuleStoreEnum.Branch.published_only
        )

    def _map_revision_to_branch(self, key, revision: str | None = None) -> str:
        """The branch name a read or write of ``key`` uses (split_draft.py)."""
        if revision == ModuleStoreEnum.RevisionOption.published_only:
            return PUBLISHED
        if revision == ModuleStoreEnum.RevisionOption.draft_only:
            return DRAFT
        if revision is not None:
            raise UnsupportedRevisionError()
        if getattr(key, "branch", None):
            return key.branch
        if self.get_branch_setting(key) == ModuleStoreEnum.Branch.draft_preferred:
            return DRAFT
        return PUBLISHED

    # --- bulk operations (BulkOperationsMixin) ---------------------------------------------
    def _records(self) -> dict[str, _BulkRecord]:
        if not hasattr(self._bulk, "records"):
            self._bulk.records = {}
        return self._bulk.records

    @contextmanager
    def bulk_operations(self, course_id, emit_signals: bool = True, ignore_case: bool = False):
        """Group writes to one course; COURSE_PUBLISHED is sent once, when the outermost ends."""
        course_id = _course_key(course_id).for_branch(None)
        records = self._records()
        record = records.setdefault(str(course_id), _BulkRecord())
        record.nesting += 1
        try:
            yield
        finally:
            record.nesting -= 1
            if record.nesting == 0:
                del records[str(course_id)]
                if emit_signals and record.dirty and record.has_publish_item:
                    self._send_course_published(course_id)

    def _active_record(self, course_key: CourseKey) -> _BulkRecord | None:
        return self._records().get(str(course_key.for_branch(None)))

    def _flag_publish_event(self, course_key: CourseKey) -> None:
        """Send COURSE_PUBLISHED now, or at the end of the active bulk operation."""
        record = self._active_record(course_key)
        if record is not None:
            record.has_publish_item = True
        else:
            self._send_course_published(course_key)

    def _send_course_published(self, course_key: CourseKey) -> None:
        if self.signal_handler is not None:
            self.signal_handler.send("course_published", course_key=course_key.for_branch(None))

    # --- reading ---------------------------------------------------------------------------
    def _index(self, course_key: CourseKey):
        from xmodule.modulestore.models import CourseIndex

        return CourseIndex.objects.filter(course_key=str(course_key.for_branch(None))).first()

    def _structure(self, course_key: CourseKey, branch: str) -> Structure | None:
        """The head structure of ``branch``, from the request cache when already loaded."""
        from xmodule.modulestore.models import CourseStructure

        index = self._index(course_key)
        if index is None:
            return None
        version = index.draft_version if branch == DRAFT else index.published_version
        if not version:
            return None
        cache = self._course_cache()
        structure = cache.get(version)
        if structure is None:
            text = CourseStructure.objects.values_list("blocks", flat=True).get(version=version)
            structure = cache[version] = Structure.from_json(version, text)
        return structure

    def _course_cache(self) -> dict[str, Structure]:
        if self.request_cache is None:
            return {}
        return self.request_cache.data.setdefault("course_cache", {})

    def _load(self, course_key: CourseKey, structure: Structure) -> LoadedBlocks:
        """The blocks of ``structure`` as block objects (built when first asked for)."""
        return LoadedBlocks(course_key.for_branch(None), structure)

    def _load_item(self, usage_key: UsageKey, branch: str) -> SandboxBlock:
        structure = self._structure(usage_key.course_key, branch)
        if structure is None or _block_key(usage_key) not in structure.blocks:
            raise ItemNotFoundError(usage_key)
        return self._load(usage_key.course_key, structure)[usage_key.for_branch(None)]

    def has_course(self, course_id, ignore_case: bool = False, **kwargs) -> bool:
        """True when the course exists."""
        return self._index(_course_key(course_id)) is not None

    def get_course(self, course_key, depth: int | None = 0, **kwargs) -> CourseBlock | None:
        """The course block (whole outline loaded) on the branch of the current setting.

        As split_draft.py: any ``revision=`` is ignored. A missing course is None (mixed.py).
        """
        course_key = _course_key(course_key)
        structure = self._structure(course_key, self._map_revision_to_branch(course_key))
        if structure is None:
            return None
        loaded = self._load(course_key, structure)
        return loaded[loaded.usage_key(structure.root)]

    def get_item(self, usage_key: UsageKey, depth: int | None = 0, revision=None, **kwargs):
        """One block; raises ItemNotFoundError when it is not on the branch read."""
        return self._load_item(usage_key, self._map_revision_to_branch(usage_key, revision))

    def has_item(self, usage_key: UsageKey, revision=None) -> bool:
        """True when the block exists on the branch read."""
        try:
            self.get_item(usage_key, revision=revision)
        except ItemNotFoundError:
            return False
        return True

    def get_items(
        self, course_key, revision=None, qualifiers: Mapping | None = None, **kwargs
    ) -> list[SandboxBlock]:
        """Blocks of the course matching ``qualifiers`` (``category``: a name, list or {"$in"})."""
        course_key = _course_key(course_key)
        structure = self._structure(course_key, self._map_revision_to_branch(course_key, revision))
        if structure is None:
            return []
        wanted = _categories((qualifiers or {}).get("category", kwargs.get("category")))
        return self._load(course_key, structure).of_types(wanted)

    def get_parent_location(self, location: UsageKey, revision=None, **kwargs):
        """The parent's usage key on the branch read, or None."""
        if revision == ModuleStoreEnum.RevisionOption.draft_preferred:
            revision = ModuleStoreEnum.RevisionOption.draft_only
        try:
            return self.get_item(location, revision=revision).parent
        except ItemNotFoundError:
            return None

    def has_published_version(self, xblock) -> bool:
        """True when the block is on the published branch."""
        structure = self._structure(xblock.location.course_key, PUBLISHED)
        return structure is not None and _block_key(xblock.location) in structure.blocks

    def has_changes(self, xblock) -> bool:
        """True when the block or a draft descendant differs from its published version."""
        draft = self._structure(xblock.location.course_key, DRAFT)
        published = self._structure(xblock.location.course_key, PUBLISHED)

        def changed(key: BlockKey) -> bool:
            mine, theirs = draft.blocks.get(key), (published.blocks.get(key) if published else None)
            if mine is None or theirs is None:
                return True
            if (mine.fields, mine.children) != (theirs.fields, theirs.children):
                return True
            return any(changed(child) for child in mine.children)

        return draft is not None and changed(_block_key(xblock.location))

    # --- writing ---------------------------------------------------------------------------
    def _save(self, course_key: CourseKey, branch: str, structure: Structure, previous) -> None:
        """Store a new structure version and move the branch head to it."""
        from xmodule.modulestore.models import CourseIndex, CourseStructure

        key = str(course_key.for_branch(None))
        with transaction.atomic():
            CourseStructure.objects.create(
                version=structure.version,
                course_key=key,
                previous_version=previous.version if previous is not None else "",
                blocks=structure.to_json(),
            )
            head = "draft_version" if branch == DRAFT else "published_version"
            CourseIndex.objects.filter(course_key=key).update(
                **{head: structure.version, "edited_on": timezone.now()}
            )
        self._course_cache()[structure.version] = structure
        record = self._active_record(course_key)
        if record is not None:
            record.dirty = True

    def create_course(
        self, org: str, course: str, run: str, user_id: int, fields: dict | None = None, **kwargs
    ) -> CourseBlock:
        """Create the course (draft) and publish its course block, as split_draft.py does."""
        from xmodule.modulestore.models import CourseIndex, CourseStructure

        course_key = CourseLocator(org, course, run)
        if self.has_course(course_key):
            raise DuplicateCourseError(course_key)
        with self.bulk_operations(course_key):
            root = BlockData("course", "course", dict(fields or {}), [], timezone.now(), user_id)
            structure = Structure(new_version(), root.key, {root.key: root})
            CourseStructure.objects.create(
                version=structure.version, course_key=str(course_key), blocks=structure.to_json()
            )
            CourseIndex.objects.create(
                course_key=str(course_key), org=org, draft_version=structure.version
            )
            self._active_record(course_key).dirty = True
            self._auto_publish_no_children(course_key.make_usage_key("course", "course"), user_id)
        return self._load_item(course_key.make_usage_key("course", "course"), DRAFT)

    def create_item(
        self,
        user_id: int,
        course_key,
        block_type: str,
        block_id: str | None = None,
        fields: dict | None = None,
        skip_auto_publish: bool = False,
        **kwargs,
    ) -> SandboxBlock:
        """Add a block with no parent (e.g. a static tab) on the branch of the current setting."""
        course_key = _course_key(course_key)
        branch = self._map_revision_to_branch(course_key)
        emit = branch == PUBLISHED or block_type in DIRECT_ONLY_CATEGORIES
        with self.bulk_operations(course_key, emit_signals=emit):
            location = self._add_block(
                course_key, branch, None, block_type, block_id, fields, user_id
            )
            if not skip_auto_publish and branch == DRAFT:
                self._auto_publish_no_children(location, user_id)
            return self._load_item(location, branch)

    def create_child(
        self,
        user_id: int,
        parent_usage_key: UsageKey,
        block_type: str,
        block_id: str | None = None,
        fields: dict | None = None,
        **kwargs,
    ) -> SandboxBlock:
        """Append a block to the parent's children; direct-only blocks are published at once."""
        course_key = parent_usage_key.course_key
        branch = self._map_revision_to_branch(parent_usage_key)
        with self.bulk_operations(course_key):
            location = self._add_block(
                course_key, branch, parent_usage_key, block_type, block_id, fields, user_id
            )
            if branch == DRAFT and block_type in DIRECT_ONLY_CATEGORIES:
                self._auto_publish_no_children(location, user_id)
                self._auto_publish_no_children(parent_usage_key, user_id)
            return self._load_item(location, branch)

    def _add_block(
        self, course_key, branch, parent: UsageKey | None, block_type, block_id, fields, user_id
    ) -> UsageKey:
        current = self._structure(course_key, branch)
        if current is None:
            raise ItemNotFoundError(course_key)
        structure = current.new_version()
        key = (block_type, block_id or new_version())
        if key in structure.blocks:
            raise ValueError(f"{key} already exists in {course_key}")
        if parent is not None:
            parent_block = structure.blocks.get(_block_key(parent))
            if parent_block is None:
                raise ItemNotFoundError(parent)
            parent_block.children.append(key)
        structure.blocks[key] = BlockData(*key, dict(fields or {}), [], timezone.now(), user_id)
        self._save(course_key, branch, structure, current)
        return course_key.for_branch(None).make_usage_key(*key)

    def update_item(self, block, user_id: int, allow_not_found: bool = False, **kwargs):
        """Save the block's settings and children order; direct-only blocks are published."""
        location = block.location
        course_key = location.course_key
        branch = self._map_revision_to_branch(location)
        emit = branch == PUBLISHED or location.block_type in DIRECT_ONLY_CATEGORIES
        with self.bulk_operations(course_key, emit_signals=emit):
            current = self._structure(course_key, branch)
            key = _block_key(location)
            if current is None or key not in current.blocks:
                raise ItemNotFoundError(location)
            fields = block.explicitly_set()
            children = [_block_key(child) for child in block.children]
            stored = current.blocks[key]
            if (fields, children) != (stored.fields, stored.children):
                structure = current.new_version()
                changed = structure.blocks[key]
                changed.fields, changed.children = fields, children
                changed.edited_on, changed.edited_by = timezone.now(), user_id
                self._save(course_key, branch, structure, current)
            if branch == DRAFT:
                self._auto_publish_no_children(location, user_id)
            return self._load_item(location, branch)

    def _auto_publish_no_children(self, location: UsageKey, user_id: int) -> None:
        """Publish a direct-only block alone (none of its children), as split_draft.py does."""
        if location.block_type in DIRECT_ONLY_CATEGORIES:
            self.publish(location, user_id, blacklist=EXCLUDE_ALL)

    def publish(self, location: UsageKey, user_id: int, blacklist=None, **kwargs):
        """Copy the subtree under ``location`` from draft to published; COURSE_PUBLISHED."""
        course_key = location.course_key
        with self.bulk_operations(course_key):
            self._copy(course_key, _block_key(location), user_id, blacklist)
            self._flag_publish_event(course_key)
        return self._load_item(location, PUBLISHED)

    def _copy(self, course_key: CourseKey, root: BlockKey, user_id: int, blacklist) -> None:
        """split.py ``copy`` from the draft head to the published head."""
        source = self._structure(course_key, DRAFT)
        if source is None or root not in source.blocks:
            raise ItemNotFoundError(course_key.make_usage_key(*root))
        current = self._structure(course_key, PUBLISHED)
        if current is None:
            if root != source.root:
                raise ItemNotFoundError(f"Must publish course root {source.root}")
            destination = Structure(new_version(), source.root, {})
        else:
            destination = current.new_version()
        if blacklist != EXCLUDE_ALL:
            blacklist = {_block_key(shunned) for shunned in blacklist or []}
        orphans: set[BlockKey] = set()
        if root != source.root:
            parents = [source.parent_map()[root]] if root in source.parent_map() else []
            found = [p for p in parents if p in destination.blocks]
            if parents and not found:
                raise ItemNotFoundError(parents)
            for parent in found:
                orphans |= _sync_children(source.blocks[parent], destination.blocks[parent], root)
        now = timezone.now()
        orphans |= _copy_subdag(root, source, destination, blacklist, now, user_id)
        for orphan in orphans:
            if orphan in destination.blocks and not destination.parents(orphan):
                destination.remove_subtree(orphan)
        self._save(course_key, PUBLISHED, destination, current)

    def delete_item(
        self,
        location: UsageKey,
        user_id: int,
        revision=None,
        skip_auto_publish: bool = False,
        **kwargs,
    ) -> None:
        """Delete a block and its subtree (draft only for non direct-only blocks: split_draft.py).

        Deleting a block whose parent is direct-only publishes that parent (children only
        removed, none added): a deleted unit leaves the published outline at once, a deleted
        component stays published until its unit is published.
        """
        allowed = [
            None,
            ModuleStoreEnum.RevisionOption.published_only,
            ModuleStoreEnum.RevisionOption.all,
        ]
        if revision not in allowed:
            raise UnsupportedRevisionError(allowed)
        course_key = location.course_key
        parent = None
        with self.bulk_operations(course_key):
            if location.block_type in DIRECT_ONLY_CATEGORIES or revision == allowed[2]:
                branches = [PUBLISHED, DRAFT]
            elif revision == allowed[1]:
                branches = [PUBLISHED]
            else:
                branches = [DRAFT]
                found = self.get_parent_location(
                    location, revision=ModuleStoreEnum.RevisionOption.draft_only
                )
                if not skip_auto_publish and found is not None:
                    parent = found if found.block_type in DIRECT_ONLY_CATEGORIES else None
            self._flag_publish_event(course_key)
            deleted = [self._delete_from(course_key, branch, location) for branch in branches]
            if not any(deleted):
                raise ItemNotFoundError(location)
            if parent is not None:
                self.publish(parent, user_id, blacklist=EXCLUDE_ALL)

    def _delete_from(self, course_key: CourseKey, branch: str, location: UsageKey) -> bool:
        current = self._structure(course_key, branch)
        key = _block_key(location)
        if current is None or key not in current.blocks:
            return False
        structure = current.new_version()
        for parent in structure.parents(key):
            structure.blocks[parent].children.remove(key)
        structure.remove_subtree(key)
        self._save(course_key, branch, structure, current)
        return True

    def delete_course(self, course_key, user_id: int, **kwargs) -> None:
        """Remove the course and send COURSE_DELETED."""
        from xmodule.modulestore.models import CourseIndex, CourseStructure

        course_key = _course_key(course_key).for_branch(None)
        CourseIndex.objects.filter(course_key=str(course_key)).delete()
        CourseStructure.objects.filter(course_key=str(course_key)).delete()
        if self.signal_handler is not None:
            self.signal_handler.send("course_deleted", course_key=course_key)

    # --- seeding (sandbox only) --------------------------------------------------------------
    def import_outline(self, course_key, specs: Iterable[BlockSpec], user_id: int) -> int:
        """Bulk-add blocks to both branches, as a course import publishes them (seeder only).

        Real imports go block by block through ``import_xblock``; the seeder needs thousands
        of blocks per second, so this writes one structure at the head of both branches.
        """
        from xmodule.modulestore.models import CourseIndex

        course_key = _course_key(course_key)
        current = self._structure(course_key, DRAFT)
        if current is None:
            raise ItemNotFoundError(course_key)
        structure = current.new_version()
        now = timezone.now()
        added = 0
        for spec in specs:
            block = BlockData(spec.block_type, spec.block_id, dict(spec.fields), [], now, user_id)
            structure.blocks[block.key] = block
            if spec.parent is not None:
                structure.blocks[_block_key(spec.parent)].children.append(block.key)
            added += 1
        self._save(course_key, DRAFT, structure, current)
        CourseIndex.objects.filter(course_key=str(course_key.for_branch(None))).update(
            published_version=structure.version
        )
        return added


class LoadedBlocks(Mapping):
    """Usage key -> block object of one structure, each built on first access, with inherited
    fields resolved from its ancestors (InheritanceMixin)."""

    def __init__(self, course_key: CourseKey, structure: Structure) -> None:
        self.course_key = course_key
        self.structure = structure
        self._built: dict[BlockKey, SandboxBlock] = {}
        self._inherited: dict[BlockKey, dict[str, Any]] = {}

    def __getitem__(self, location: UsageKey) -> SandboxBlock:
        block = self.block(_block_key(location))
        if block is None:
            raise KeyError(location)
        return block

    def block(self, key: BlockKey) -> SandboxBlock | None:
        """The block object of ``key`` (None when the structure has no such block)."""
        block = self._built.get(key)
        if block is None:
            data = self.structure.blocks.get(key)
            if data is None:
                return None
            parent = self.structure.parent_map().get(key)
            cls = CourseBlock if key == self.structure.root else SandboxBlock
            block = self._built[key] = cls(
                self.usage_key(key),
                data.fields,
                self.inherited(key),
                data.edited_on,
                self.usage_key(parent) if parent is not None else None,
                [self.usage_key(c) for c in data.children],
                self,
            )
        return block

    def usage_key(self, key: BlockKey) -> UsageKey:
        """The usage key of a block of this course (made once per structure: they are slow)."""
        keys = self.structure.__dict__.setdefault("_usage_keys", {})
        found = keys.get(key)
        if found is None:
            found = keys[key] = self.course_key.make_usage_key(*key)
        return found

    def of_types(self, types: set[str] | None) -> list[SandboxBlock]:
        """Every block whose type is in ``types`` (all when None), built only for those."""
        return [
            self.block(key) for key in self.structure.blocks if types is None or key[0] in types
        ]

    def __contains__(self, location: object) -> bool:
        return isinstance(location, UsageKey) and _block_key(location) in self.structure.blocks

    def __iter__(self) -> Iterator[UsageKey]:
        return (self.usage_key(key) for key in self.structure.blocks)

    def __len__(self) -> int:
        return len(self.structure.blocks)

    def inherited(self, key: BlockKey) -> dict[str, Any]:
        """The inheritable values ``key`` gets from its ancestors (defaults at the top)."""
        found = self._inherited.get(key)
        if found is None:
            parent = self.structure.parent_map().get(key)
            if parent is None or parent not in self.structure.blocks:
                found = dict(INHERITABLE_FIELDS)
            else:
                above = self.inherited(parent)
                own = self.structure.blocks[parent].fields
                found = {name: own.get(name, value) for name, value in above.items()}
            self._inherited[key] = found
        return found


def _sync_children(source_parent: BlockData, destination_parent: BlockData, new_child) -> set:
    """Reorder the destination parent's children like the source's; return the removed ones."""
    existing = set(destination_parent.children)
    orphans = existing - set(source_parent.children)
    destination_parent.children = [
        child for child in source_parent.children if child == new_child or child in existing
    ]
    return orphans


def _copy_subdag(key, source: Structure, destination: Structure, blacklist, now, user_id) -> set:
    """split.py ``_copy_subdag``: copy ``key`` (and, unless EXCLUDE_ALL, its subtree)."""
    orphans: set[BlockKey] = set()
    new_block = source.blocks[key]
    existing = destination.blocks.get(key)
    block = new_block.copy()
    if existing is not None:
        positions: dict[int, BlockKey] = {}
        for child in existing.children:
            if child in new_block.children:
                positions[new_block.children.index(child)] = child
            else:
                orphans.add(child)
        if blacklist != EXCLUDE_ALL:
            for index, child in enumerate(new_block.children):
                if child not in blacklist:
                    positions[index] = child
        block.children = [positions[i] for i in sorted(positions)]
    elif blacklist == EXCLUDE_ALL:
        block.children = []
    else:
        block.children = [c for c in new_block.children if c not in blacklist]
    block.edited_on, block.edited_by = now, user_id
    destination.blocks[key] = block
    if blacklist != EXCLUDE_ALL:
        for child in block.children:
            if child in source.blocks:
                orphans |= _copy_subdag(child, source, destination, blacklist, now, user_id)
    return orphans


def _categories(value) -> set[str] | None:
    """Normalise a ``category`` qualifier: a name, a list/set, or {"$in": [...]}."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("$in", [])
    if isinstance(value, str):
        return {value}
    return set(value)
