"""Stand-in for edx-platform's ``common.djangoapps.student`` app (sandbox only)."""
