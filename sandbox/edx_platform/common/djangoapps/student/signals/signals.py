"""Signals of the student app, at edx-platform's module path."""

from django.dispatch import Signal

# Sent when an enrollment changes status.
# kwargs: event, user, course_id, mode, cost, currency
ENROLL_STATUS_CHANGE = Signal()

# Sent after a learner unenrolls. kwargs: course_enrollment, skip_refund
UNENROLL_DONE = Signal()
