"""Signals of the student app, at edx-platform's module path."""

from django.dispatch import Signal

# Sent when an enrollment's mode (track) changes. kwargs: user, course_key, mode, countdown
ENROLLMENT_TRACK_UPDATED = Signal()

# Sent by CourseEnrollment.enroll() and on deactivation.
# kwargs: event, user, course_id, mode, cost, currency
ENROLL_STATUS_CHANGE = Signal()

# Sent after a learner unenrolls. kwargs: course_enrollment, skip_refund
UNENROLL_DONE = Signal()
