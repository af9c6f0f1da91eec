"""Retirement models of edx-platform's ``openedx/core/djangoapps/user_api/models.py``.

Same names, fields and behaviour as the platform (sandbox only):

* ``RetirementState``: the ordered pipeline states (``populate_retirement_states`` fills it).
* ``UserRetirementRequest``: one row per user who asked to be deleted, **kept forever** (only
  removed when a retirement is cancelled while still PENDING).
* ``UserRetirementStatus``: the progress of one retirement, with the original and retired
  username/email and the original name; ``create_retirement`` also creates the request.
  The pipeline's cleanup step **deletes** it.

``created``/``modified`` are those of model_utils' ``TimeStampedModel``.
"""

from __future__ import annotations

from common.djangoapps.student.models import (
    get_retired_email_by_email,
    get_retired_username_by_username,
)
from django.contrib.auth.models import User
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver


class RetirementStateError(Exception):
    """A retirement cannot be created or moved to the state asked for."""


class TimeStampedModel(models.Model):
    """``created`` and ``modified``, as model_utils.models.TimeStampedModel."""

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RetirementState(models.Model):
    """One step of the retirement pipeline, in ``state_execution_order``."""

    state_name = models.CharField(max_length=30, unique=True)
    state_execution_order = models.SmallIntegerField(unique=True)
    is_dead_end_state = models.BooleanField(default=False, db_index=True)
    required = models.BooleanField(default=False)

    class Meta:
        app_label = "user_api"
        ordering = ("state_execution_order",)

    def __str__(self) -> str:
        return f"{self.state_name} (step {self.state_execution_order})"

    @classmethod
    def get_dead_end_state_names_list(cls):
        """Names of the states a retirement cannot leave."""
        return cls.objects.filter(is_dead_end_state=True).values_list("state_name", flat=True)

    @classmethod
    def get_state_names_list(cls):
        """Every state name, in order."""
        return cls.objects.all().values_list("state_name", flat=True)


class UserRetirementRequest(TimeStampedModel):
    """A user asked to be retired; kept forever unless cancelled while PENDING."""

    user = models.OneToOneField(User, on_delete=models.CASCADE)

    class Meta:
        app_label = "user_api"
        verbose_name = "User Retirement Request"
        verbose_name_plural = "User Retirement Requests"

    def __str__(self) -> str:
        return f"User: {self.user_id} Requested: {self.created}"

    @classmethod
    def create_retirement_request(cls, user: User) -> UserRetirementRequest:
        """The user's request; RetirementStateError if one exists already."""
        if cls.has_user_requested_retirement(user):
            raise RetirementStateError(f"User {user} already has a retirement request row!")
        return cls.objects.create(user=user)

    @classmethod
    def has_user_requested_retirement(cls, user: User) -> bool:
        """True when the user has a retirement request."""
        return cls.objects.filter(user=user).exists()


class UserRetirementStatus(TimeStampedModel):
    """Where one user's retirement is, with the PII needed to finish it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE)
    original_username = models.CharField(max_length=150, db_index=True)
    original_email = models.EmailField(db_index=True)
    original_name = models.CharField(max_length=255, blank=True, db_index=True)
    retired_username = models.CharField(max_length=150, db_index=True)
    retired_email = models.EmailField(db_index=True)
    current_state = models.ForeignKey(
        RetirementState, related_name="current_state", on_delete=models.CASCADE
    )
    last_state = models.ForeignKey(
        RetirementState, blank=True, related_name="last_state", on_delete=models.CASCADE
    )
    responses = models.TextField()

    class Meta:
        app_label = "user_api"
        verbose_name = "User Retirement Status"
        verbose_name_plural = "User Retirement Statuses"

    def __str__(self) -> str:
        return f"User: {self.user_id} State: {self.current_state} Last Updated: {self.modified}"

    @classmethod
    def create_retirement(cls, user: User) -> UserRetirementStatus:
        """Start the user's retirement in the first state (and record the request)."""
        pending = RetirementState.objects.order_by("state_execution_order").first()
        if pending is None:
            raise RetirementStateError(
                "Default state does not exist! Populate retirement states to retire users."
            )
        if cls.objects.filter(user=user).exists():
            raise RetirementStateError(f"User {user} already has a retirement status row!")
        retired_username = get_retired_username_by_username(user.username)
        retired_email = get_retired_email_by_email(user.email)
        UserRetirementRequest.create_retirement_request(user)
        return cls.objects.create(
            user=user,
            original_username=user.username,
            original_email=user.email,
            original_name=user.profile.name,
            retired_username=retired_username,
            retired_email=retired_email,
            current_state=pending,
            last_state=pending,
            responses=f"Created in state {pending} by create_retirement",
        )

    def update_state(self, update: dict) -> None:
        """Move to ``update["new_state"]`` (later states only unless ``force``)."""
        missing = [key for key in ("username", "new_state", "response") if key not in update]
        unknown = [
            key for key in update if key not in ("username", "new_state", "response", "force")
        ]
        if missing or unknown:
            raise RetirementStateError(
                f"RetirementStatus: missing keys {missing}, unknown keys {unknown}"
            )
        if not update.get("force", False):
            names = list(RetirementState.get_state_names_list())
            current = self.current_state.state_name
            if current in RetirementState.get_dead_end_state_names_list():
                raise RetirementStateError(f"RetirementStatus: Unable to move user from {current}")
            new = update["new_state"]
            if new not in names or names.index(new) <= names.index(current):
                raise RetirementStateError(
                    f"{new} does not exist or is an earlier state than current state {current}"
                )
        old_state = self.current_state
        self.current_state = RetirementState.objects.get(state_name=update["new_state"])
        self.last_state = old_state
        self.responses += (
            f"\n Moved from {old_state} to {self.current_state}:\n{update['response']}\n"
        )
        self.save()

    @classmethod
    def get_retirement_for_retirement_action(cls, username: str) -> UserRetirementStatus:
        """The retirement of ``username`` (exact case) if it is in a working state."""
        retirement = next(
            (
                r
                for r in cls.objects.filter(original_username=username)
                if r.original_username == username
            ),
            None,
        )
        if retirement is None:
            raise cls.DoesNotExist(
                f"{username} does not have an exact match in UserRetirementStatus."
            )
        state = retirement.current_state
        if state.required or state.state_name.endswith("_COMPLETE"):
            raise RetirementStateError(
                f"{retirement} is in {state.state_name}, not a valid state to perform retirement "
                "actions on."
            )
        return retirement


@receiver(post_delete, sender=UserRetirementStatus)
def remove_pending_retirement_request(sender, instance, **kwargs) -> None:
    """A status deleted while still PENDING (a cancellation) takes its request with it."""
    pending = RetirementState.objects.filter(state_name="PENDING").first()
    if pending is not None and instance.current_state_id == pending.pk:
        UserRetirementRequest.objects.filter(user_id=instance.user_id).delete()
