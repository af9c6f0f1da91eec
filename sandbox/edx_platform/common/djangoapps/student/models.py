"""UserProfile and CourseEnrollment with edx-platform's field names and types (sandbox only).

Behaviour mirrors common/djangoapps/student/models/course_enrollment.py (what each enrollment
change saves and which signals and openedx-events it sends, in the same order) and
common/djangoapps/student/models/user.py (profile ``meta`` and ``enforce_single_login``).
Enrollment tracking events are emitted as ``emit_event`` does; segment events, filters' pipelines,
caches and course modes are left out.
``CourseAccessRole`` (with its ``NoneToEmptyManager``) mirrors the model of the same name in
``common/djangoapps/student/models/user.py`` (``common.djangoapps.student.roles`` reads it).
The retired-username/email helpers mirror ``common/djangoapps/student/models/user.py``: the
same names, the same ``user_util`` hashing with ``RETIRED_USER_SALTS`` (newest salt last).
"""

from __future__ import annotations

import json
import logging
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import models
from django.dispatch import receiver
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
from openedx_events.learning.data import (
    CourseData,
    CourseEnrollmentData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import (
    COURSE_ENROLLMENT_CHANGED,
    COURSE_ENROLLMENT_CREATED,
    COURSE_UNENROLLMENT_COMPLETED,
)
from openedx_filters.learning.filters import CourseEnrollmentStarted, CourseUnenrollmentStarted
from user_util import user_util

from common.djangoapps.student.signals import (
    ENROLL_STATUS_CHANGE,
    ENROLLMENT_TRACK_UPDATED,
    UNENROLL_DONE,
)
from common.djangoapps.track import contexts

log = logging.getLogger(__name__)

#: CourseMode.DEFAULT_MODE_SLUG (the sandbox has no course modes: every course defaults to it).
DEFAULT_MODE_SLUG = "audit"
#: Delay edx-platform gives the score recalculation after ENROLLMENT_TRACK_UPDATED.
SCORE_RECALCULATION_DELAY_ON_ENROLLMENT_UPDATE = 30
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

    def get_meta(self) -> dict:
        """``meta`` as a dict ({} when empty)."""
        return json.loads(self.meta) if self.meta else {}

    def set_meta(self, meta_json: dict) -> None:
        """Store ``meta_json`` as the JSON text of ``meta`` (not saved)."""
        self.meta = json.dumps(meta_json)

    def set_login_session(self, session_id: str | None = None) -> None:
        """Record the user's current session key in ``meta`` and save the profile.

        The previous session, if any, is deleted: one login at a time.
        """
        meta = self.get_meta()
        old_login = meta.get("session_id", None)
        if old_login:
            session_store = import_module(settings.SESSION_ENGINE).SessionStore
            session_store(session_key=old_login).delete()
        meta["session_id"] = session_id
        self.set_meta(meta)
        self.save()


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


class CourseEnrollmentException(Exception):
    """Base of the errors ``CourseEnrollment.enroll`` raises."""


class NonExistentCourseError(CourseEnrollmentException):
    """``enroll(check_access=True)`` in a course without an overview."""


class AlreadyEnrolledError(CourseEnrollmentException):
    """``enroll(check_access=True)`` of a learner already enrolled."""


class EnrollmentNotAllowed(CourseEnrollmentException):
    """The CourseEnrollmentStarted filter stopped the enrollment."""


class UnenrollmentNotAllowed(CourseEnrollmentException):
    """The CourseUnenrollmentStarted filter stopped the unenrollment."""


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
    mode = models.CharField(default=DEFAULT_MODE_SLUG, max_length=100)

    def __str__(self) -> str:
        return (
            f"[CourseEnrollment] {self.user}: {self.course_id} ({self.created}); "
            f"active: ({self.is_active})"
        )

    @classmethod
    def get_or_create_enrollment(cls, user: User, course_key: CourseKey) -> CourseEnrollment:
        """The user's enrollment in the course; a new one is *inactive* and sends nothing."""
        assert isinstance(course_key, CourseKey), f"a CourseKey is required, got {course_key!r}"
        if user.id is None:
            user.save()
        enrollment, _ = cls.objects.get_or_create(
            user=user,
            course_id=course_key,
            defaults={"mode": DEFAULT_MODE_SLUG, "is_active": False},
        )
        return enrollment

    @classmethod
    def enroll(
        cls,
        user: User,
        course_key: CourseKey,
        mode: str | None = None,
        check_access: bool = False,
        can_upgrade: bool = False,
        enterprise_uuid: str | None = None,
    ) -> CourseEnrollment:
        """Enroll (or re-activate) the user; saves at once.

        Sends COURSE_ENROLLMENT_CHANGED (when something changed), ENROLL_STATUS_CHANGE
        ``enroll`` and COURSE_ENROLLMENT_CREATED, the last two even when already enrolled.
        """
        try:
            user, course_key, mode = CourseEnrollmentStarted.run_filter(
                user=user, course_key=course_key, mode=mode
            )
        except CourseEnrollmentStarted.PreventEnrollment as exc:
            raise EnrollmentNotAllowed(str(exc)) from exc
        if mode is None:
            mode = DEFAULT_MODE_SLUG
        try:
            course = CourseOverview.get_from_id(course_key)
            course_data = CourseData(course_key=course.id, display_name=course.display_name)
        except CourseOverview.DoesNotExist as err:
            # Legacy flows enroll in courses announced before their content exists.
            course_data = CourseData(course_key=course_key)
            if check_access:
                log.warning(
                    "User %s failed to enroll in non-existent course %s", user.id, course_key
                )
                raise NonExistentCourseError from err
        if cls.is_enrolled(user, course_key):
            log.warning(
                "User %s attempted to enroll in %s, but was already enrolled", user.id, course_key
            )
            if check_access:
                raise AlreadyEnrolledError
        enrollment = cls.get_or_create_enrollment(user, course_key)
        enrollment.update_enrollment(is_active=True, mode=mode, enterprise_uuid=enterprise_uuid)
        enrollment.send_signal(EnrollStatusChange.enroll)
        COURSE_ENROLLMENT_CREATED.send_event(enrollment=enrollment._event_data(user, course_data))
        return enrollment

    @classmethod
    def unenroll(cls, user: User, course_id: CourseKey, skip_refund: bool = False) -> None:
        """Deactivate the user's enrollment; logs (never raises) when there is none."""
        try:
            record = cls.objects.get(user=user, course_id=course_id)
            try:
                record = CourseUnenrollmentStarted.run_filter(enrollment=record)
            except CourseUnenrollmentStarted.PreventUnenrollment as exc:
                raise UnenrollmentNotAllowed(str(exc)) from exc
            record.update_enrollment(is_active=False, skip_refund=skip_refund)
        except cls.DoesNotExist:
            log.error("Cannot unenroll user %s from %s: no enrollment", user, course_id)

    @classmethod
    def is_enrolled(cls, user: User, course_key: CourseKey) -> bool:
        """True when ``user`` has an active enrollment in the course."""
        return cls.objects.filter(user=user, course_id=course_key, is_active=True).exists()

    def update_enrollment(
        self,
        mode: str | None = None,
        is_active: bool | None = None,
        skip_refund: bool = False,
        enterprise_uuid: str | None = None,
    ) -> None:
        """Save a mode and/or activation change (nothing when neither changes) and announce it.

        Any change: COURSE_ENROLLMENT_CHANGED. Deactivation: UNENROLL_DONE, ENROLL_STATUS_CHANGE
        ``unenroll``, COURSE_UNENROLLMENT_COMPLETED. Mode change: ENROLLMENT_TRACK_UPDATED.
        Activation sends no ENROLL_STATUS_CHANGE here (``enroll`` does).
        """
        activation_changed = False
        if self.is_active != is_active and is_active is not None:
            self.is_active = is_active
            activation_changed = True
        mode_changed = False
        if self.mode != mode and mode is not None:
            self.mode = mode
            mode_changed = True
        try:
            course_data = CourseData(
                course_key=self.course_id, display_name=self.course.display_name
            )
        except CourseOverview.DoesNotExist:
            course_data = CourseData(course_key=self.course_id)

        if activation_changed or mode_changed:
            self.save()
            COURSE_ENROLLMENT_CHANGED.send_event(
                enrollment=self._event_data(self.user, course_data)
            )
        if activation_changed and self.is_active:
            self.emit_event(EVENT_NAME_ENROLLMENT_ACTIVATED)
        if activation_changed and not self.is_active:
            UNENROLL_DONE.send(sender=None, course_enrollment=self, skip_refund=skip_refund)
            self.emit_event(EVENT_NAME_ENROLLMENT_DEACTIVATED)
            self.send_signal(EnrollStatusChange.unenroll)
            COURSE_UNENROLLMENT_COMPLETED.send_event(
                enrollment=self._event_data(self.user, course_data)
            )
        if mode_changed:
            self.emit_event(EVENT_NAME_ENROLLMENT_MODE_CHANGED)
            ENROLLMENT_TRACK_UPDATED.send(
                sender=None,
                user=self.user,
                course_key=self.course_id,
                mode=self.mode,
                countdown=SCORE_RECALCULATION_DELAY_ON_ENROLLMENT_UPDATE,
            )

    def activate(self) -> None:
        """Make this enrollment active; saves at once."""
        self.update_enrollment(is_active=True)

    def deactivate(self) -> None:
        """Make this enrollment inactive (not enrolled); saves at once."""
        self.update_enrollment(is_active=False)

    def change_mode(self, mode: str) -> None:
        """Change this enrollment's mode; saves at once."""
        self.update_enrollment(mode=mode)

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

    def _event_data(self, user: User, course_data: CourseData) -> CourseEnrollmentData:
        """The openedx-events payload, built from the same fields as edx-platform's."""
        return CourseEnrollmentData(
            user=UserData(
                pii=UserPersonalData(
                    username=user.username, email=user.email, name=user.profile.name
                ),
                id=user.id,
                is_active=user.is_active,
            ),
            course=course_data,
            mode=self.mode,
            is_active=self.is_active,
            creation_date=self.created,
        )


class NoneToEmptyQuerySet(models.query.QuerySet):
    """Filters on ``field=None`` become ``field=<the field's Empty value>`` (CourseKeyField)."""

    def _filter_or_exclude(self, negate, args, kwargs):
        for field in self.model._meta.get_fields():
            direct = not field.auto_created or field.concrete
            if direct and hasattr(field, "Empty"):
                for suffix in ("", "_exact"):
                    key = f"{field.name}{suffix}"
                    if key in kwargs and kwargs[key] is None:
                        kwargs[key] = field.Empty
        return super()._filter_or_exclude(negate, args, kwargs)


class NoneToEmptyManager(models.Manager):
    """A manager whose querysets are ``NoneToEmptyQuerySet``."""

    def get_queryset(self):
        return NoneToEmptyQuerySet(self.model, using=self._db)


class CourseAccessRole(models.Model):
    """A user's role in a course (``course_id`` set), in a whole org (``course_id`` empty) or
    global (``org`` and ``course_id`` empty). Read by ``common.djangoapps.student.roles``."""

    class Meta:
        app_label = "student"
        unique_together = ("user", "org", "course_id", "role")

    objects = NoneToEmptyManager()

    user = models.ForeignKey(User, on_delete=models.CASCADE)
    # Blank org: a global role (e.g. course creator).
    org = models.CharField(max_length=64, db_index=True, blank=True)
    # Blank course_id: the role holds for every course of the org.
    course_id = CourseKeyField(max_length=255, db_index=True, blank=True)
    role = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return (
            f"[CourseAccessRole] user: {self.user.username}   role: {self.role}   "
            f"org: {self.org}   course: {self.course_id}"
        )


@receiver(user_logged_in)
@receiver(user_logged_out)
def enforce_single_login(sender, request, user, signal, **kwargs) -> None:
    """Store the session key of a login (None on logout) in the profile: one login at a time.

    On when ``FEATURES['PREVENT_CONCURRENT_LOGINS']`` is (edx-platform's default: on).
    """
    if settings.FEATURES.get("PREVENT_CONCURRENT_LOGINS", False):
        key = request.session.session_key if signal == user_logged_in else None
        if user:
            user_profile, __ = UserProfile.objects.get_or_create(
                user=user, defaults={"name": user.username}
            )
            if user_profile:
                user.profile.set_login_session(key)
