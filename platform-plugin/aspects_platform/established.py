"""Names left over from the established platform-plugin-aspects, and what replaces them.

* Filter steps in ``OPEN_EDX_FILTERS_CONFIG``: replaced by ours when the app starts (a warning
  names the replacement), so the Instructor Dashboard keeps its Reports tab.
* Celery task names still queued: ``tasks`` registers them and forwards to ours.
* ``dump_data_to_clickhouse --object auth_user``: refused, naming what to run instead.

See docs/migrating-from-established-aspects.md.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

PACKAGE = "platform_plugin_aspects"
#: Their step path -> ours (the Reports tab of the legacy Instructor Dashboard).
FILTER_STEPS = {
    f"{PACKAGE}.extensions.filters.AddSupersetTab": "aspects_platform.filters.AddSupersetTab",
}
#: Their sink class names (the ``sink_name`` argument of their dump task) -> our object names.
SINK_OBJECTS = {
    "UserProfileSink": "user_profile",
    "ExternalIdSink": "external_id",
    "CourseEnrollmentSink": "course_enrollment",
    "TaxonomySink": "taxonomy",
    "TagSink": "tag",
    "ObjectTagSink": "object_tag",
}
#: Their ``--object`` names that are not objects of ours -> what to run instead.
DUMP_OBJECTS = {
    "auth_user": (
        "'auth_user' was the established plugin's user-retirement handler, not a table to "
        "dump: user rows are dumped with --object user_profile (and external_id); retirements "
        "are driven by the LMS retirement pipeline, and re-run with "
        "`retire_users_from_clickhouse --redrive`"
    ),
}


def _replace_steps(pipeline: list) -> tuple[list, list[str]]:
    """The pipeline with their steps replaced by ours (once each); the steps replaced."""
    replaced = [step for step in pipeline if step in FILTER_STEPS]
    result: list = []
    for step in pipeline:
        step = FILTER_STEPS.get(step, step)
        if step not in result:
            result.append(step)
    return result, replaced


def _replace_entry(entry: Any) -> tuple[Any, list[str]]:
    """One OPEN_EDX_FILTERS_CONFIG value (dict, list or single step) with the steps replaced."""
    if isinstance(entry, dict):
        pipeline = entry.get("pipeline") or []
        steps, replaced = _replace_steps([pipeline] if isinstance(pipeline, str) else pipeline)
        return {**entry, "pipeline": steps}, replaced
    if isinstance(entry, str):
        steps, replaced = _replace_steps([entry])
        return steps[0], replaced
    if isinstance(entry, (list, tuple)):
        return _replace_steps(list(entry))
    return entry, []


def replace_filter_steps(settings) -> None:
    """Replace the established app's steps in ``settings.OPEN_EDX_FILTERS_CONFIG`` by ours,
    with a warning naming each replacement (openedx-filters reads the setting per call)."""
    config = getattr(settings, "OPEN_EDX_FILTERS_CONFIG", None)
    if not isinstance(config, dict):
        return
    updated = dict(config)
    for filter_type, entry in config.items():
        updated[filter_type], replaced = _replace_entry(entry)
        for step in replaced:
            log.warning(
                "OPEN_EDX_FILTERS_CONFIG[%r] names %s, a step of the established "
                "platform-plugin-aspects; running %s instead: put that path in your settings",
                filter_type,
                step,
                FILTER_STEPS[step],
            )
    if updated != config:
        settings.OPEN_EDX_FILTERS_CONFIG = updated
