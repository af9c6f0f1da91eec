"""Stand-in for the edx-platform package of the same path (sandbox only)."""
