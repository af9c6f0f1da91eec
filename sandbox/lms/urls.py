"""URLs of the sandbox LMS: the retirement endpoints and the legacy Instructor Dashboard
(edx-platform's paths), and plugin URLs."""

from django.urls import path, re_path
from edx_django_utils.plugins import get_plugin_url_patterns
from lms.djangoapps.instructor.views.instructor_dashboard import instructor_dashboard_2
from openedx.core.djangoapps.enrollments.views import UnenrollmentView
from openedx.core.djangoapps.plugins.constants import ProjectType
from openedx.core.djangoapps.user_api.accounts import views as accounts

ACCOUNTS = "api/user/v1/accounts"

urlpatterns = [
    path(f"{ACCOUNTS}/deactivate_logout/", accounts.DeactivateLogoutView.as_view()),
    path(f"{ACCOUNTS}/update_retirement_status/", accounts.AccountRetirementStatusView.as_view()),
    path(f"{ACCOUNTS}/retirement_cleanup/", accounts.AccountRetirementStatusView.as_view()),
    path(f"{ACCOUNTS}/retire_misc/", accounts.LMSAccountRetirementView.as_view()),
    path(f"{ACCOUNTS}/retire/", accounts.AccountRetirementView.as_view()),
    path("api/enrollment/v1/unenroll/", UnenrollmentView.as_view()),
    # The legacy Instructor Dashboard (lms/urls.py: courses/<COURSE_ID_PATTERN>/instructor).
    re_path(
        r"^courses/(?P<course_id>[^/]+)/instructor$",
        instructor_dashboard_2,
        name="instructor_dashboard",
    ),
    *get_plugin_url_patterns(ProjectType.LMS),
]
