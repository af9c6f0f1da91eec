"""URLs of the sandbox LMS: the retirement endpoints (edx-platform's paths) and plugin URLs."""

from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns
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
    *get_plugin_url_patterns(ProjectType.LMS),
]
