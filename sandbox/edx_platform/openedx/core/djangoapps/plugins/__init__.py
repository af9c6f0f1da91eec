"""Stand-in for edx-platform's ``plugins`` app: connects plugin signal receivers."""
