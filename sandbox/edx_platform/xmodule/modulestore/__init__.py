"""Stand-in for edx-platform's ``xmodule.modulestore`` (sandbox only): the enums stores share.

Mirrors ``ModuleStoreEnum`` of xmodule/modulestore/__init__.py (same names and values).
"""


class ModuleStoreEnum:
    """The subset of edx-platform's ModuleStoreEnum that callers pass to the store."""

    class Type:
        """Store types."""

        split = "split"

    class RevisionOption:
        """Values of the ``revision`` argument of get_item/get_items/delete_item."""

        published_only = "rev-opt-published-only"
        draft_only = "rev-opt-draft-only"
        draft_preferred = "rev-opt-draft-preferred"
        all = "rev-opt-all"

    class Branch:
        """Branch settings (``MODULESTORE_BRANCH``, ``store.branch_setting(...)``)."""

        published_only = "published-only"
        draft_preferred = "draft-preferred"

    class BranchName:
        """Branch names inside a split course (the heads of the course index)."""

        draft = "draft-branch"
        published = "published-branch"
        library = "library"

    class UserID:
        """Well-known user ids for store writes."""

        mgmt_command = -1
        primitive_command = -2
        test = -3
        system = -4
