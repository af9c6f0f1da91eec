"""Account signals, at edx-platform's module path."""

from django.dispatch import Signal

# Sent during the LMS "misc" step of a user's retirement. kwargs: user
USER_RETIRE_LMS_MISC = Signal()

# Sent during the LMS "critical" step of a user's retirement. kwargs: user
USER_RETIRE_LMS_CRITICAL = Signal()
