"""``unenroll_user_from_all_courses``, as in edx-platform's enrollments/data.py."""

from common.djangoapps.student.models import CourseEnrollment
from django.contrib.auth.models import User
from django.db import transaction


def unenroll_user_from_all_courses(username: str) -> set[str]:
    """Deactivate every enrollment of the user (ENROLL_STATUS_CHANGE each); their orgs."""
    user = User.objects.get(username=username)
    enrollments = list(CourseEnrollment.objects.filter(user=user))
    with transaction.atomic():
        for enrollment in enrollments:
            enrollment.update_enrollment(is_active=False)
            enrollment.save()
    return {enrollment.course_id.org for enrollment in enrollments}
