"""Helpers of edx-platform's ``xmodule.modulestore.store_utilities`` used by analytics."""

# Block types that live in a course without being part of its outline.
DETACHED_XBLOCK_TYPES = {"static_tab", "about", "course_info"}
