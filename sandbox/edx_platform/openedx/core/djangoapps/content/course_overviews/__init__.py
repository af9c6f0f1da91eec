"""Stand-in for edx-platform's ``course_overviews`` app (sandbox only)."""
