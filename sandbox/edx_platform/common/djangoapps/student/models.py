"""UserProfile and CourseEnrollment with edx-platform's field names and types (sandbox only).

The retired-username/email helpers mirror ``common/djangoapps/student/models/user.py``: the
same names, the same ``user_util`` hashing with ``RETIRED_USER_SALTS`` (newest salt last).
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from user_util import user_util

from common.djangoapps.student.signals import ENROLL_STATUS_CHANGE
from common.djangoapps.track import contexts

log = logging.getLogger(__name__)

# Tracking event names, as in edx-platform's course_enrollment.py.
EVENT_NAME_ENROLLMENT_ACTIVATED = "edx.course.enrollment.activated"
EVENT_NAME_ENROLLMENT_DEACTIVATED = "edx.course.enrollment.deactivated"
EVENT_NAME_ENROLLMENT_MODE_CHANGED = "edx.course.enrollment.mode_changed"


class UserProfile(models.Model):
    """Extra data about a user; nullable fields are nullable in edx-platform too."""

    class Meta:
        app_label = "student"
        db_table = "auth_userprofile"

    user = models.OneToOneField(
        User, unique=True, db_index=True, related_name="profile", on_delete=models.CASCADE
    )
    name = models.CharField(blank=True, max_length=255, db_index=True)
    meta = models.TextField(blank=True)
    courseware = models.CharField(blank=True, max_length=255, default="course.xml")
    language = models.CharField(blank=True, max_length=255, db_index=True)
    location = models.CharField(blank=True, max_length=255, db_index=True)
    year_of_birth = models.IntegerField(blank=True, null=True, db_index=True)
    gender = models.CharField(blank=True, null=True, max_length=6, db_index=True)
    level_of_education = models.CharField(blank=True, null=True, max_length=6, db_index=True)
    mailing_address = models.TextField(blank=True, null=True)
    city = models.TextField(blank=True, null=True)
    country = models.CharField(blank=True, null=True, max_length=2)
    state = models.CharField(blank=True, null=True, max_length=2)
    goals = models.TextField(blank=True, null=True)
    bio = models.CharField(blank=True, null=True, max_length=3000, db_index=False)
    profile_image_uploaded_at = models.DateTimeField(null=True, blank=True)
    phone_number = models.CharField(blank=True, null=True, max_length=50)

    def __str__(self) -> str:
        return f"UserProfile({self.user_id})"


def _retired_value(field: str, value: str) -> str | None:
    """``retired_<field>`` of the latest retirement whose ``original_<field>`` is ``value``."""
    status_model = apps.get_model("user_api", "UserRetirementStatus")
    status = status_model.objects.filter(**{f"original_{field}": value}).order_by("-modified")
    found = status.first()
    return getattr(found, f"retired_{field}") if found else None


def get_retired_username_by_username(username: str) -> str:
    """The retired username of a retirement of ``username``, else its hash with the newest salt."""
    return _retired_value("username", username) or user_util.get_retired_username(
        username, settings.RETIRED_USER_SALTS, settings.RETIRED_USERNAME_FMT
    )


def get_retired_email_by_email(email: str) -> str:
    """The retired email of a retirement of ``email``, else its hash with the newest salt."""
    return _retired_value("email", email) or user_util.get_retired_email(
        email, settings.RETIRED_USER_SALTS, settings.RETIRED_EMAIL_FMT
    )


def get_all_retired_usernames_by_username(username: str):
    """The retired usernames of ``username`` under every configured salt."""
    return user_util.get_all_retired_usernames(
        username, settings.RETIRED_USER_SALTS, settings.RETIRED_USERNAME_FMT
    )


def get_potentially_retired_user_by_username(username: str) -> User:
    """The user called ``username`` now, or whose retired username is a hash of it.

    When both exist (a retired "Name" and an active "name"), the exact-case match wins.
    """
    candidates = [*get_all_retired_usernames_by_username(username), username]
    users = list(User.objects.filter(username__in=candidates))
    if len(users) == 1:
        return users[0]
    if not users:
        raise User.DoesNotExist()
    if len(users) == 2:
        first_retired = users[0].username.startswith(settings.RETIRED_USERNAME_PREFIX)
        retired, active = (users[0], users[1]) if first_retired else (users[1], users[0])
        return active if active.username == username else retired
    raise Exception(f"Expected 1 or 2 Users, received {users}")  # noqa: TRY002 - as edx-platform


class EnrollStatusChange:
    """Possible values of the ``event`` kwarg of ENROLL_STATUS_CHANGE (as in edx-platform)."""

    enroll = "enroll"
    unenroll = "unenroll"
    upgrade_start = "upgrade_start"
    upgrade_complete = "upgrade_complete"
    paid_start = "paid_start"
    paid_complete = "paid_complete"


class CourseEnrollment(models.Model):
    """A user's enrollment in a course; ``course_id`` is a CourseKey, as in edx-platform."""

    class Meta:
        app_label = "student"
        unique_together = (("user", "course"),)
        ordering = ("user", "course")

    user = models.ForeignKey(User, on_delete=models.CASCADE)
    # As in edx-platform: a FK to CourseOverview without a DB constraint, so ``course_id``
    # holds the course key and enrollments may exist before the overview.
    course = models.ForeignKey(CourseOverview, db_constraint=False, on_delete=models.DO_NOTHING)
    created = models.DateTimeField(auto_now_add=True, null=True, db_index=True)
    is_active = models.BooleanField(default=True)
    mode = models.CharField(default="audit", max_length=100)

    def __str__(self) -> str:
        active = self.is_active
        return f"[CourseEnrollment] {self.user_id}: {self.course_id} ({self.created}); {active=}"

    @classmethod
    def enroll(
        cls, user: User, course_key: CourseKey | str, mode: str = "audit"
    ) -> CourseEnrollment:
        """Enroll (or re-activate) ``user`` in the course, then send ENROLL_STATUS_CHANGE."""
        course_key = _as_course_key(course_key)
        with transaction.atomic():
            enrollment, _ = cls.objects.get_or_create(
                user=user, course_id=course_key, defaults={"mode": mode, "is_active": False}
            )
            enrollment.update_enrollment(mode=mode, is_active=True)
        return enrollment

    @classmethod
    def unenroll(cls, user: User, course_key: CourseKey | str) -> CourseEnrollment | None:
        """Deactivate ``user``'s enrollment, if any, then send ENROLL_STATUS_CHANGE."""
        course_key = _as_course_key(course_key)
        with transaction.atomic():
            enrollment = cls.objects.filter(user=user, course_id=course_key).first()
            if enrollment is not None:
                enrollment.update_enrollment(is_active=False)
        return enrollment

    @classmethod
    def is_enrolled(cls, user: User, course_key: CourseKey | str) -> bool:
        """True when ``user`` has an active enrollment in the course."""
        course_key = _as_course_key(course_key)
        return cls.objects.filter(user=user, course_id=course_key, is_active=True).exists()

    def update_enrollment(self, mode: str | None = None, is_active: bool | None = None) -> None:
        """Save a mode/activation change and send the matching signal (only if it changed)."""
        activation_changed = is_active is not None and is_active != self.is_active
        mode_changed = mode is not None and mode != self.mode
        if activation_changed:
            self.is_active = is_active
        if mode_changed:
            self.mode = mode
        if not (activation_changed or mode_changed or self._state.adding):
            return
        self.save()
        if activation_changed:
            event = EnrollStatusChange.enroll if self.is_active else EnrollStatusChange.unenroll
            self.emit_event(
                EVENT_NAME_ENROLLMENT_ACTIVATED
                if self.is_active
                else EVENT_NAME_ENROLLMENT_DEACTIVATED
            )
            self.send_signal(event)
        if mode_changed:
            self.emit_event(EVENT_NAME_ENROLLMENT_MODE_CHANGED)

    def emit_event(self, event_name: str) -> None:
        """Emit the enrollment tracking event with the course's tracking context.

        As edx-platform's ``CourseEnrollment.emit_event``: data ``{user_id, course_id, mode}``,
        a failure is logged, never raised. Without event-tracking installed nothing is emitted.
        """
        try:
            from eventtracking import tracker
        except ImportError:
            return
        try:
            context = contexts.course_context_from_course_id(self.course_id)
            data = {"user_id": self.user.id, "course_id": str(self.course_id), "mode": self.mode}
            with tracker.get_tracker().context(event_name, context):
                tracker.emit(event_name, data)
        except Exception:  # noqa: BLE001 - as edx-platform: tracking never breaks enrollment
            log.exception(
                "Unable to emit event %s for user %s and course %s",
                event_name,
                self.user.username,
                self.course_id,
            )

    def send_signal(self, event: str, cost: str | None = None, currency: str | None = None) -> None:
        """Send ENROLL_STATUS_CHANGE with edx-platform's kwargs."""
        ENROLL_STATUS_CHANGE.send(
            sender=None,
            event=event,
            user=self.user,
            mode=self.mode,
            course_id=self.course_id,
            cost=cost,
            currency=currency,
        )


def _as_course_key(course_key: CourseKey | str) -> CourseKey:
    """Parse a course key string (keys pass through)."""
    return course_key if isinstance(course_key, CourseKey) else CourseKey.from_string(course_key)
