"""Stand-in for edx-platform's ``UserRetirementStatus`` (only the fields the sandbox needs)."""

from django.conf import settings
from django.db import models


class UserRetirementStatus(models.Model):
    """A user whose retirement has started (created before USER_RETIRE_LMS_MISC is sent)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    original_username = models.CharField(max_length=150, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "user_api"
        verbose_name_plural = "User Retirement Statuses"

    def __str__(self) -> str:
        return f"UserRetirementStatus: {self.original_username}"
