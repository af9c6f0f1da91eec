"""Stand-in package (sandbox only)."""
