"""Stand-in for openedx-learning's ``openedx_tagging`` package (sandbox only)."""
