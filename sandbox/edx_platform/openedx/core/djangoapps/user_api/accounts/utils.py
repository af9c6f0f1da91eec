"""``create_retirement_request_and_deactivate_account``, as in edx-platform's accounts/utils.py."""

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
