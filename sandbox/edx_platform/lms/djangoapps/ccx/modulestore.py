"""The modulestore wrapper that serves a CCX's content from its master course (sandbox only).

Mirrors edx-platform ``lms/djangoapps/ccx/modulestore.py``: CCX keys (``CCXLocator``,
``CCXBlockUsageLocator``) are stripped to the master course's keys on the way in, and every
block returned carries CCX keys again (location, parent, children), so a CCX course reads as
the master course under its own key. ``xmodule.modulestore.django.modulestore()`` wraps the
store with it when ``FEATURES["CUSTOM_COURSES_EDX"]`` is on. Only the read methods the sandbox
uses are wrapped; anything else passes through unchanged.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Any

from ccx_keys.locator import CCXBlockUsageLocator, CCXLocator
from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator


def strip_ccx(value: Any) -> tuple[Any, str | None]:
    """(the key without its CCX part, the CCX id or None)."""
    if isinstance(value, CCXLocator):
        return value.to_course_locator(), value.ccx
    if isinstance(value, CCXBlockUsageLocator):
        return value.to_block_locator(), value.course_key.ccx
    return value, None


def restore_ccx(value: Any, ccx_id: str | None) -> Any:
    """``value`` (a key or a block) with CCX keys for CCX ``ccx_id``."""
    if ccx_id is None or value is None:
        return value
    if isinstance(value, CourseLocator):
        return CCXLocator.from_course_locator(value, ccx_id)
    if isinstance(value, BlockUsageLocator):
        course = restore_ccx(value.course_key, ccx_id)
        return CCXBlockUsageLocator(course, value.block_type, value.block_id)
    if isinstance(value, list):
        return [restore_ccx(item, ccx_id) for item in value]
    if hasattr(value, "location"):  # a block: a copy, the store's cached block stays as it is
        block = copy.copy(value)
        block.location = restore_ccx(value.location, ccx_id)
        block.parent = restore_ccx(value.parent, ccx_id)
        block.children = restore_ccx(value.children, ccx_id)
        block._loaded = _CCXBlocks(value._loaded, ccx_id)
        return block
    return value


class _CCXBlocks:
    """The loaded blocks of a master course, handed out with CCX keys."""

    def __init__(self, loaded, ccx_id: str) -> None:
        self._loaded = loaded
        self._ccx_id = ccx_id

    def block(self, key):
        return restore_ccx(self._loaded.block(key), self._ccx_id)


class CCXModulestoreWrapper:
    """Wraps a modulestore: CCX keys in, CCX keys out."""

    def __init__(self, modulestore) -> None:
        self.__dict__["_modulestore"] = modulestore

    def __getattr__(self, name: str) -> Any:
        return getattr(self._modulestore, name)

    def get_course(self, course_key, depth: int | None = 0, **kwargs):
        """The course (a CCX: its master course under the CCX key)."""
        key, ccx_id = strip_ccx(course_key)
        return restore_ccx(self._modulestore.get_course(key, depth=depth, **kwargs), ccx_id)

    def has_course(self, course_id, ignore_case: bool = False, **kwargs) -> bool:
        """True when the (master) course exists."""
        key, _ = strip_ccx(course_id)
        return self._modulestore.has_course(key, ignore_case=ignore_case, **kwargs)

    def get_item(self, usage_key, depth: int | None = 0, **kwargs):
        """One block, with CCX keys for a CCX usage key."""
        key, ccx_id = strip_ccx(usage_key)
        return restore_ccx(self._modulestore.get_item(key, depth, **kwargs), ccx_id)

    def has_item(self, usage_key, **kwargs) -> bool:
        """True when the (master) block exists."""
        key, _ = strip_ccx(usage_key)
        return self._modulestore.has_item(key, **kwargs)

    def get_items(self, course_key, **kwargs):
        """Blocks of the course, with CCX keys for a CCX course key."""
        key, ccx_id = strip_ccx(course_key)
        return restore_ccx(self._modulestore.get_items(key, **kwargs), ccx_id)

    def get_parent_location(self, location, **kwargs):
        """The parent's key, with CCX keys for a CCX usage key."""
        key, ccx_id = strip_ccx(location)
        return restore_ccx(self._modulestore.get_parent_location(key, **kwargs), ccx_id)

    @contextmanager
    def branch_setting(self, branch_setting: str, course_id=None):
        """The wrapped store's branch setting for the (master) course."""
        key, _ = strip_ccx(course_id)
        with self._modulestore.branch_setting(branch_setting, key):
            yield

    @contextmanager
    def bulk_operations(self, course_id, emit_signals: bool = True, ignore_case: bool = False):
        """The wrapped store's bulk operation on the (master) course."""
        key, _ = strip_ccx(course_id)
        with self._modulestore.bulk_operations(
            key, emit_signals=emit_signals, ignore_case=ignore_case
        ):
            yield
