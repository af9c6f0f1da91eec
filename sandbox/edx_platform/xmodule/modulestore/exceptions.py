"""Exceptions of edx-platform's ``xmodule.modulestore.exceptions`` (sandbox only)."""


class ItemNotFoundError(Exception):
    """A block or course is not in the store (or not in the branch read)."""


class DuplicateCourseError(Exception):
    """``create_course`` for a course key that already exists."""


class InsufficientSpecificationError(Exception):
    """The branch setting is neither published-only nor draft-preferred."""
