"""The legacy Instructor Dashboard page, as ``lms/djangoapps/instructor/views/
instructor_dashboard.py`` of edx-platform (sandbox only).

``instructor_dashboard_2`` keeps edx-platform's flow: an invalid course key is a 500, a user
without staff access (global staff, course staff or instructor) a 404; the context's
``sections`` go through the ``InstructorDashboardRenderStarted`` filter (where the Aspects app
adds its Reports section) before the Mako page renders each section's template. The sandbox
has one built-in section (course info); edx-platform's others, the MFE redirect and its
caching headers beyond no-store are left out.
"""

from __future__ import annotations

import logging

from common.djangoapps.edxmako.shortcuts import render_to_response
from common.djangoapps.student.roles import CourseInstructorRole, CourseStaffRole, GlobalStaff
from django.http import Http404, HttpResponseRedirect, HttpResponseServerError
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import ensure_csrf_cookie
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx_filters.learning.filters import InstructorDashboardRenderStarted

log = logging.getLogger(__name__)

TEMPLATE_NAME = "instructor/instructor_dashboard_2/instructor_dashboard_2.html"


def _has_staff_access(user, course_key: CourseKey) -> bool:
    """``has_access(user, 'staff', course)``: global staff, course staff or instructor."""
    return (
        GlobalStaff().has_user(user)
        or CourseStaffRole(course_key).has_user(user)
        or CourseInstructorRole(course_key).has_user(user)
    )


def _section_course_info(course: CourseOverview) -> dict:
    return {
        "section_key": "course_info",
        "section_display_name": "Course Info",
        "course_id": str(course.id),
        "course_display_name": course.display_name_with_default,
        "template_path_prefix": "/instructor_dashboard/",
    }


@ensure_csrf_cookie
@cache_control(no_cache=True, no_store=True, must_revalidate=True)
def instructor_dashboard_2(request, course_id):
    """Display the instructor dashboard for a course."""
    try:
        course_key = CourseKey.from_string(course_id)
    except InvalidKeyError:
        log.error(
            "Unable to find course with course key %s while loading the Instructor Dashboard.",
            course_id,
        )
        return HttpResponseServerError()
    try:
        course = CourseOverview.get_from_id(course_key)
    except CourseOverview.DoesNotExist as exc:
        raise Http404() from exc
    if not _has_staff_access(request.user, course_key):
        raise Http404()
    context = {"course": course, "sections": [_section_course_info(course)]}
    template_name = TEMPLATE_NAME
    try:
        context, template_name = InstructorDashboardRenderStarted.run_filter(
            context=context, template_name=template_name
        )
    except InstructorDashboardRenderStarted.RenderInvalidDashboard as exc:
        return render_to_response(exc.instructor_template, exc.template_context)
    except InstructorDashboardRenderStarted.RedirectToPage as exc:
        return HttpResponseRedirect(exc.redirect_to)
    except InstructorDashboardRenderStarted.RenderCustomResponse as exc:
        return exc.response
    return render_to_response(template_name, context)
