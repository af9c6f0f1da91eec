"""openedx-filters pipeline steps adding the Aspects "Reports" tab to the Instructor Dashboard.

Wired by the Tutor plugin (``OPEN_EDX_FILTERS_CONFIG``). Both steps always return their
filter's arguments, with or without the tab; an unexpected error inside a step is logged and the
arguments come back unchanged, even when the pipeline's ``fail_silently`` is False (another
plugin may own that entry): the Instructor Dashboard always renders.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from django.templatetags.static import static
from openedx_filters import PipelineStep

from aspects_platform.dashboards import dashboard_links, superset_url
from aspects_platform.views import guest_token_path, show_dashboard_link

TAB_ID = "aspects"
TAB_TITLE = "Reports"
#: Where the Instructor Dashboard MFE shows the tab (after its built-in tabs).
TAB_SORT_ORDER = 120
#: The legacy dashboard renders ``<template_path_prefix><section_key>.html`` (Mako).
TEMPLATE_PATH_PREFIX = "/instructor_dashboard/"
#: The pinned Superset Embedded SDK and our embedding script (the app's static files).
SDK_STATIC_PATH = "aspects_platform/vendor/superset-embedded-sdk-0.4.0.js"
EMBED_STATIC_PATH = "aspects_platform/js/embed_dashboards.js"

log = logging.getLogger(__name__)


def returns_its_arguments_on_error(run_filter: Callable[..., dict]) -> Callable[..., dict]:
    """Wrap a ``run_filter``: on any exception, log it and return the arguments it was given."""
    signature = inspect.signature(run_filter)

    @functools.wraps(run_filter)
    def guarded(self: PipelineStep, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return run_filter(self, *args, **kwargs)
        except Exception:
            log.exception("%s failed; the dashboard is shown without it", type(self).__name__)
            arguments = signature.bind(self, *args, **kwargs).arguments
            return {
                name: value
                for name, value in arguments.items()
                if name != "self"
                and signature.parameters[name].kind is not inspect.Parameter.VAR_KEYWORD
            }

    return guarded


def mfe_tab_url(course_key: Any) -> str:
    """Relative URL of the course's Reports tab in the Instructor Dashboard MFE."""
    return f"/instructor-dashboard/{course_key}/{TAB_ID}/"


def course_id_of(context: dict[str, Any]) -> str:
    """The course id of a legacy dashboard context (``course.id``, else ``course_id``)."""
    course = context.get("course")
    course_id = getattr(course, "id", None) or context.get("course_id")
    return str(course_id) if course_id else ""


class AddSupersetTabToInstructorDashboard(PipelineStep):
    """Instructor Dashboard MFE (``...instructor.dashboard.tabs.requested.v1``): add the tab."""

    @returns_its_arguments_on_error
    def run_filter(self, tabs: list | None, course_key: Any, **kwargs: Any) -> dict[str, Any]:
        """Append the Reports tab once; leave ``tabs`` as they are without a Superset URL."""
        tabs = list(tabs or [])
        if superset_url() and not any(tab.get("tab_id") == TAB_ID for tab in tabs):
            tabs.append(
                {
                    "tab_id": TAB_ID,
                    "title": TAB_TITLE,
                    "url": mfe_tab_url(course_key),
                    "sort_order": TAB_SORT_ORDER,
                }
            )
        return {"tabs": tabs, "course_key": course_key}


class AddSupersetTab(PipelineStep):
    """Legacy Instructor Dashboard (``...instructor.dashboard.render.started.v1``): add a section.

    The LMS renders ``instructor_dashboard/aspects.html`` (shipped in this app's ``templates``
    directory, which ``settings.common`` adds to ``MAKO_TEMPLATE_DIRS_BASE``): each dashboard,
    in the user's language when Superset has a copy in it, embedded with the Embedded SDK.
    """

    @returns_its_arguments_on_error
    def run_filter(self, context: dict[str, Any], template_name: str) -> dict[str, Any]:
        """Append the Reports section once; leave ``context`` as it is without a Superset URL."""
        base_url = superset_url()
        sections = list(context.get("sections") or [])
        if base_url and not any(section.get("section_key") == TAB_ID for section in sections):
            course_id = course_id_of(context)
            sections.append(
                {
                    "section_key": TAB_ID,
                    "section_display_name": TAB_TITLE,
                    "course_id": course_id,
                    "superset_url": base_url,
                    "superset_guest_token_url": guest_token_path(course_id),
                    "superset_sdk_url": static(SDK_STATIC_PATH),
                    "embed_script_url": static(EMBED_STATIC_PATH),
                    "show_dashboard_link": show_dashboard_link(),
                    "dashboards": dashboard_links(base_url),
                    "template_path_prefix": TEMPLATE_PATH_PREFIX,
                }
            )
            context["sections"] = sections
        return {"context": context, "template_name": template_name}
