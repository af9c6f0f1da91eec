"""``UnenrollmentView`` of edx-platform's enrollments/views.py (sandbox only).

POST /api/enrollment/v1/unenroll/ {username}: the retirement's unenroll step, which runs while
the user still has the original username (before the LMS step renames it).
"""

from common.djangoapps.student.models import CourseEnrollment
from django.http import HttpResponse, JsonResponse

from openedx.core.djangoapps.enrollments import api
from openedx.core.djangoapps.user_api.accounts.views import RetirementView
from openedx.core.djangoapps.user_api.models import UserRetirementStatus


class UnenrollmentView(RetirementView):
    """Unenroll a retiring user from all courses: 204 if none active, else 200 with the orgs."""

    def post(self, request):
        username = request.data.get("username")
        if not username:
            return HttpResponse("Username not specified.", status=404)
        try:
            UserRetirementStatus.get_retirement_for_retirement_action(username)
        except UserRetirementStatus.DoesNotExist:
            return HttpResponse("No retirement request status for username.", status=404)
        active = CourseEnrollment.objects.filter(user__username=username, is_active=True)
        if not active.exists():
            return HttpResponse(status=204)
        return JsonResponse(sorted(api.unenroll_user_from_all_courses(username)), safe=False)
