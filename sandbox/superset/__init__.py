"""Superset for the test tier and the sandbox: its own virtualenv (``.venv-superset``)."""
