"""Stand-in for edx-platform's ``xmodule.modulestore`` (sandbox only): enums shared by stores."""


class ModuleStoreEnum:
    """The subset of edx-platform's ModuleStoreEnum that callers pass to the store."""

    class Type:
        """Store types."""

        split = "split"

    class RevisionOption:
        """Values of the ``revision`` argument of get_course/get_items."""

        published_only = "rev-opt-published-only"
        draft_only = "rev-opt-draft-only"
        all = "rev-opt-all"

    class Branch:
        """Branch settings."""

        published_only = "published-only"
        draft_preferred = "draft-preferred"

    class UserID:
        """Well-known user ids for store writes."""

        mgmt_command = -1
        primitive_command = -2
        test = -3
        system = -4
