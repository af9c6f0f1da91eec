"""The sandbox's stand-in for the LMS retirement steps that start and announce a retirement."""

from django.contrib.auth.models import User

from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC
from openedx.core.djangoapps.user_api.models import UserRetirementStatus


def retire_user(user: User) -> UserRetirementStatus:
    """Create the user's retirement status, then send USER_RETIRE_LMS_MISC (as edx-platform).

    edx-platform creates the ``UserRetirementStatus`` when the retirement is requested and
    sends the signal later, from the retire-misc step.
    """
    status, _ = UserRetirementStatus.objects.get_or_create(
        user=user, defaults={"original_username": user.username}
    )
    USER_RETIRE_LMS_MISC.send(sender=retire_user, user=user)
    return status
