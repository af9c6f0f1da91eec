"""ExternalIdType and ExternalId with edx-platform's fields (sandbox only)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.db import models


class ExternalIdType(models.Model):
    """A kind of external id (e.g. ``xapi``, ``lti``)."""

    class Meta:
        app_label = "external_user_ids"

    MICROBACHELORS_COACHING = "mb_coaching"
    LTI = "lti"
    XAPI = "xapi"
    CALIPER = "caliper"

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    name = models.CharField(max_length=32, blank=False, unique=True, db_index=True)
    description = models.TextField()

    def __str__(self) -> str:
        return self.name


class ExternalId(models.Model):
    """A stable, anonymous UUID standing for a user towards one external system."""

    class Meta:
        app_label = "external_user_ids"
        unique_together = (("user", "external_id_type"),)

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    external_user_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id_type = models.ForeignKey(ExternalIdType, db_index=True, on_delete=models.CASCADE)
    user = models.ForeignKey(User, db_index=True, on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.external_id_type_id}: {self.external_user_id}"

    @classmethod
    def add_new_user_id(cls, user: User, type_name: str) -> tuple[ExternalId | None, bool]:
        """Get or create the user's id of that type; (None, False) if the type is unknown."""
        try:
            type_obj = ExternalIdType.objects.get(name=type_name)
        except ExternalIdType.DoesNotExist:
            return None, False
        return cls.objects.get_or_create(user=user, external_id_type=type_obj)
