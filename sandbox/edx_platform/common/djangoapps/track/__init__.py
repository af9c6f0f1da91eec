"""Stand-in of edx-platform's ``common.djangoapps.track`` (tracking contexts)."""
