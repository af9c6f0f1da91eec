"""Draft/published constants of edx-platform's xmodule/modulestore/draft_and_published.py."""

from xmodule.modulestore import ModuleStoreEnum

#: Block types that are never drafts: every change to them is published at once (split_draft.py
#: ``_auto_publish_no_children``), so editing them sends COURSE_PUBLISHED.
DIRECT_ONLY_CATEGORIES = ["course", "chapter", "sequential", "about", "static_tab", "course_info"]


class UnsupportedRevisionError(ValueError):
    """A ``revision`` argument the method does not take."""

    def __init__(self, allowed_revisions=None) -> None:
        if not allowed_revisions:
            allowed_revisions = [
                None,
                ModuleStoreEnum.RevisionOption.published_only,
                ModuleStoreEnum.RevisionOption.draft_only,
            ]
        super().__init__(f"revision not one of {allowed_revisions}")
