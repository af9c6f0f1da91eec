"""The sandbox's stand-in for the LMS retirement step that announces a retired user."""

from django.contrib.auth.models import User

from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC


def retire_user(user: User) -> None:
    """Send USER_RETIRE_LMS_MISC for ``user``, as edx-platform's retire-misc view does."""
    USER_RETIRE_LMS_MISC.send(sender=retire_user, user=user)
