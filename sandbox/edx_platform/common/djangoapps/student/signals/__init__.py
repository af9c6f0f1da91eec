"""Re-exports the student signals, as edx-platform's ``student.signals`` package does."""

from .signals import ENROLL_STATUS_CHANGE, ENROLLMENT_TRACK_UPDATED, UNENROLL_DONE

__all__ = ["ENROLL_STATUS_CHANGE", "ENROLLMENT_TRACK_UPDATED", "UNENROLL_DONE"]
