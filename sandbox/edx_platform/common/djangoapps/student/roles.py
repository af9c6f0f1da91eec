"""Course and global roles, as ``common/djangoapps/student/roles.py`` of edx-platform.

The legacy (``CourseAccessRole``) path of edx-platform, with its names, signatures and
behaviour: ``has_user`` is False for anonymous or inactive users unless
``check_user_activation=False``; a user's roles are read once and kept on the user object
(``user._roles``) until ``add_users``/``remove_users`` change them; ``CourseStaffRole`` also
holds for users with a role that inherits from it (``CourseLimitedStaffRole``);
``GlobalStaff`` is ``user.is_staff``. Left out: the openedx-authz path (behind the
``authz.enable_course_authoring`` waffle flag, off by default), the request-wide
``BulkRoleCache`` and the roles the sandbox does not use.
"""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod

from django.contrib.auth.models import User
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey

from common.djangoapps.student.models import CourseAccessRole

log = logging.getLogger(__name__)

#: Role name -> role class, filled by ``register_access_role``.
REGISTERED_ACCESS_ROLES: dict[str, type] = {}
#: Base role name -> names of the roles that have its permissions too.
ACCESS_ROLES_INHERITANCE: dict[str, set[str]] = {}
#: RoleCache key of the roles tied to no course.
ROLE_CACHE_UNGROUPED_ROLES__KEY = "ungrouped"


def register_access_role(cls):
    """Class decorator: register ``cls.ROLE`` and its ``BASE_ROLE`` inheritance."""
    try:
        REGISTERED_ACCESS_ROLES[cls.ROLE] = cls
    except AttributeError:
        log.exception("Unable to register Access Role with attribute 'ROLE'.")
    if base_role := getattr(cls, "BASE_ROLE", None):
        ACCESS_ROLES_INHERITANCE.setdefault(base_role, set()).add(cls.ROLE)
    return cls


def get_role_cache_key_for_course(course_key=None) -> str:
    """The RoleCache key of a course (the ungrouped key without one)."""
    return str(course_key) if course_key else ROLE_CACHE_UNGROUPED_ROLES__KEY


class RoleCache:
    """Every CourseAccessRole of one user, grouped by course id (read once)."""

    def __init__(self, user: User) -> None:
        self._roles_by_course_id: dict[str, set[tuple[str, str]]] = {}
        for role in CourseAccessRole.objects.filter(user=user):
            key = get_role_cache_key_for_course(role.course_id)
            self._roles_by_course_id.setdefault(key, set()).add((role.role, role.org))

    @staticmethod
    def get_roles(role: str) -> set[str]:
        """The role and every role that inherits its permissions."""
        return ACCESS_ROLES_INHERITANCE.get(role, set()) | {role}

    def has_role(self, role: str, course_id, org: str) -> bool:
        """Whether the user has ``role`` (or an heir of it) in that course and org."""
        names = self.get_roles(role)
        course_roles = self._roles_by_course_id.get(get_role_cache_key_for_course(course_id), ())
        return any(name in names and role_org == org for name, role_org in course_roles)


class AccessRole(metaclass=ABCMeta):
    """A role with access to a resource."""

    @abstractmethod
    def has_user(self, user) -> bool:
        """Whether the user has this role."""
        return False

    @abstractmethod
    def add_users(self, *users) -> None:
        """Give the role to the users."""

    @abstractmethod
    def remove_users(self, *users) -> None:
        """Take the role away from the users."""

    @abstractmethod
    def users_with_role(self):
        """A queryset of the users with this role."""
        return User.objects.none()


class GlobalStaff(AccessRole):
    """Global staff: ``user.is_staff``."""

    def has_user(self, user) -> bool:
        return bool(user and user.is_staff)

    def add_users(self, *users) -> None:
        for user in users:
            if user.is_authenticated and user.is_active:
                user.is_staff = True
                user.save()

    def remove_users(self, *users) -> None:
        for user in users:
            # As edx-platform: neither is_authenticated nor is_active is checked here.
            user.is_staff = False
            user.save()

    def users_with_role(self):
        raise Exception("This operation is un-indexed, and shouldn't be used")


class RoleBase(AccessRole):
    """A role by name, optionally limited to an org, or to an org and a course."""

    def __init__(self, role_name: str, org: str = "", course_key: CourseKey | None = None):
        super().__init__()
        self.org = org
        self.course_key = course_key
        self._role_name = role_name

    def has_user(self, user, check_user_activation: bool = True) -> bool:
        """Whether the user has the role; anonymous and inactive users never do unless
        ``check_user_activation`` is False."""
        if check_user_activation and not (user.is_authenticated and user.is_active):
            return False
        if not hasattr(user, "_roles"):
            user._roles = RoleCache(user)
        return user._roles.has_role(self._role_name, self.course_key, self.org)

    def add_users(self, *users) -> None:
        """Give the role to each authenticated, active user (others are silently skipped)."""
        for user in users:
            if user.is_authenticated and user.is_active:
                CourseAccessRole.objects.get_or_create(
                    user=user, role=self._role_name, course_id=self.course_key, org=self.org
                )
                if hasattr(user, "_roles"):
                    del user._roles

    def remove_users(self, *users) -> None:
        """Take the role away from the users."""
        CourseAccessRole.objects.filter(
            user__in=users, role=self._role_name, org=self.org, course_id=self.course_key
        ).delete()
        for user in users:
            if hasattr(user, "_roles"):
                del user._roles

    def users_with_role(self):
        """The users with exactly this role, org and course."""
        if self.course_key is None:
            self.course_key = CourseKeyField.Empty
        return User.objects.filter(
            courseaccessrole__role=self._role_name,
            courseaccessrole__org=self.org,
            courseaccessrole__course_id=self.course_key,
        )


class CourseRole(RoleBase):
    """A named role in one course (its org is the course key's org)."""

    def __init__(self, role: str, course_key: CourseKey):
        super().__init__(role, course_key.org, course_key)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}: course_key={self.course_key}>"


class OrgRole(RoleBase):
    """A named role in every course of an org."""

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"


@register_access_role
class CourseStaffRole(CourseRole):
    """Staff of a course."""

    ROLE = "staff"

    def __init__(self, *args, **kwargs):
        super().__init__(self.ROLE, *args, **kwargs)


@register_access_role
class CourseLimitedStaffRole(CourseStaffRole):
    """Staff of a course without Studio access (counts as course staff)."""

    ROLE = "limited_staff"
    BASE_ROLE = CourseStaffRole.ROLE


@register_access_role
class CourseInstructorRole(CourseRole):
    """Instructor of a course."""

    ROLE = "instructor"

    def __init__(self, *args, **kwargs):
        super().__init__(self.ROLE, *args, **kwargs)


@register_access_role
class CourseBetaTesterRole(CourseRole):
    """Beta tester of a course (sees content early; no staff rights)."""

    ROLE = "beta_testers"

    def __init__(self, *args, **kwargs):
        super().__init__(self.ROLE, *args, **kwargs)


class OrgStaffRole(OrgRole):
    """Staff of every course of an org."""

    def __init__(self, *args, **kwargs):
        super().__init__("staff", *args, **kwargs)


class OrgInstructorRole(OrgRole):
    """Instructor of every course of an org."""

    def __init__(self, *args, **kwargs):
        super().__init__("instructor", *args, **kwargs)
