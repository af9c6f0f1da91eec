"""Retirement request and cancellation helpers, as in edx-platform's accounts/utils.py."""

import secrets

from common.djangoapps.student.models import get_retired_email_by_email
from django.contrib.auth.models import User

from openedx.core.djangoapps.user_api.models import UserRetirementStatus


def create_retirement_request_and_deactivate_account(user: User) -> None:
    """Queue the user's retirement, then lock the account: retired email, unusable password.

    The username stays until the retirement's LMS step renames it.
    """
    UserRetirementStatus.create_retirement(user)
    user.email = get_retired_email_by_email(user.email)
    user.set_unusable_password()
    user.save()


def handle_retirement_cancellation(retirement: UserRetirementStatus, email_address=None) -> None:
    """Cancel a PENDING retirement: original email back, a new random password, status deleted.

    Deleting a PENDING status also deletes the user's UserRetirementRequest (post_delete).
    """
    retirement.user.email = email_address or retirement.original_email
    retirement.user.set_password(secrets.token_urlsafe(25))
    retirement.user.save()
    retirement.delete()
