"""Superset assets (datasets, charts, dashboards) as Python: the one source of truth.

``model`` holds the shapes; ``datasets``, ``charts`` and ``dashboards`` the content; the bundle
builder turns them into the YAML files Superset's ``ImportAssetsCommand`` imports. Pure Python
(no Tutor import, no I/O at import time): the plugin calls it at render time, tests call it
directly.
"""
