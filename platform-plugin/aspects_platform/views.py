"""The Reports endpoints: a course's guest token and its dashboards for the Instructor Dashboard.

``GET /aspects/superset_guest_token/<course_id>/`` answers ``{"guestToken": ...}``;
``GET /aspects/superset_instructor_dashboard/<course_id>/`` what the Instructor Dashboard MFE's
Reports widget reads (``superset_dashboards``, ``superset_url``, ``superset_guest_token_url``,
``show_dashboard_link``). Both: 404 for a course id that is no course, 403 for anyone but
global staff and the course's staff and instructors, 503 (with the reason, never a credential)
when the configuration does not allow an answer.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from opaque_keys.edx.keys import CourseKey
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aspects_platform.access import CourseNotFound, can_view_reports, find_course
from aspects_platform.dashboards import superset_url, user_dashboards
from aspects_platform.guest_tokens import GuestTokenUnavailable, mint_guest_token

log = logging.getLogger(__name__)

#: URL names (namespace: the app's plugin URL namespace).
GUEST_TOKEN_URL_NAME = "superset_guest_token"
INSTRUCTOR_DASHBOARD_URL_NAME = "superset_instructor_dashboard"
URL_NAMESPACE = "aspects_platform"


def authentication_classes() -> tuple[type, ...]:
    """JWT cookies (the MFEs, when edx-drf-extensions is there, as in the LMS) and sessions."""
    try:
        from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
    except ImportError:
        return (SessionAuthentication,)
    return (JwtAuthentication, SessionAuthentication)


class ReportsUnavailable(APIException):
    """The configuration does not allow an answer (logged as a configuration error)."""

    status_code = 503
    default_detail = "The Aspects reports are not available."
    default_code = "reports_unavailable"


def unavailable(reason: str) -> ReportsUnavailable:
    """Log ``reason`` as a configuration error and return the 503 to raise."""
    log.error("Configuration error: %s", reason)
    return ReportsUnavailable(f"The Aspects reports are not available: {reason}")


class CourseReportsView(APIView):
    """A GET on one course's reports, for global staff and the course's staff/instructors."""

    authentication_classes = authentication_classes()
    permission_classes = (IsAuthenticated,)
    # JSON only, whatever the browser accepts (no browsable-API templates needed).
    renderer_classes = (JSONRenderer,)

    def course_for(self, request: Request, course_id: str):
        """The course's key and overview once the user may see its reports."""
        try:
            course_key, course = find_course(course_id)
        except CourseNotFound as exc:
            raise NotFound(str(exc)) from exc
        except ImproperlyConfigured as exc:
            raise unavailable(str(exc)) from exc
        except OSError as exc:  # edx-platform: a course that loads as an error block
            log.exception("Course %s could not be loaded", course_id)
            raise ReportsUnavailable(f"The course {course_id!r} could not be loaded.") from exc
        if not can_view_reports(request.user, course_key):
            raise PermissionDenied(
                "Only global staff and the course's staff and instructors can see its reports."
            )
        return course_key, course


class SupersetGuestTokenView(CourseReportsView):
    """A Superset guest token for the course's dashboards (``{"guestToken": ...}``)."""

    def get(self, request: Request, course_id: str) -> Response:
        course_key, course = self.course_for(request, course_id)
        try:
            token = mint_guest_token(request.user, course, course_key)
        except GuestTokenUnavailable as exc:
            raise unavailable(str(exc)) from exc
        return Response({"guestToken": token}, headers={"Cache-Control": "no-store"})


def guest_token_path(course_key: CourseKey | str) -> str:
    """The guest-token endpoint of a course, as a path on this server."""
    name = f"{URL_NAMESPACE}:{GUEST_TOKEN_URL_NAME}"
    return reverse(name, kwargs={"course_id": str(course_key)})


def show_dashboard_link() -> bool:
    """SUPERSET_SHOW_INSTRUCTOR_DASHBOARD_LINK: show a link that opens each dashboard."""
    return bool(getattr(settings, "SUPERSET_SHOW_INSTRUCTOR_DASHBOARD_LINK", True))


class SupersetInstructorDashboardView(CourseReportsView):
    """The Reports widget's configuration: the dashboards in the user's language and URLs."""

    def get(self, request: Request, course_id: str) -> Response:
        course_key, _ = self.course_for(request, course_id)
        base_url = superset_url()
        if not base_url:
            raise unavailable("SUPERSET_CONFIG has no service_url")
        return Response(
            {
                "superset_dashboards": user_dashboards(),
                "superset_url": base_url,
                "superset_guest_token_url": request.build_absolute_uri(
                    guest_token_path(course_key)
                ),
                "show_dashboard_link": show_dashboard_link(),
            }
        )
