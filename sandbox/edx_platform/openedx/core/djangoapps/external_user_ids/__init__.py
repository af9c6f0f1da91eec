"""Stand-in for edx-platform's ``external_user_ids`` app (sandbox only)."""
