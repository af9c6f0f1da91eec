"""Small builders of sandbox LMS objects for the platform tests."""

from __future__ import annotations

from common.djangoapps.student.models import UserProfile
from django.contrib.auth.models import User
from opaque_keys.edx.locator import CourseLocator
from openedx.core.djangoapps.external_user_ids.models import ExternalId, ExternalIdType
from xmodule.modulestore import ModuleStoreEnum
from xmodule.modulestore.django import SignalHandler, modulestore

USER_ID = ModuleStoreEnum.UserID.test

TRICKY_TEXTS = (
    'She said "hi", then left',
    "line one\nline two\r\nline three",
    "tab\tseparated\tvalues",
    "back\\slash \\N and \\t literally",
    "emoji 🎓🚀 and accents éàü",
    "עברית ومرحبا بالعالم",  # right-to-left scripts
    "\\N",
    "",
    "'single' quotes, commas,,, and ;semicolons;",
)


def make_user(username: str, **profile_fields) -> tuple[User, UserProfile]:
    """A user and its profile (the profile save fires post_save)."""
    user = User.objects.create(username=username, email=f"{username}@example.com")
    profile = UserProfile.objects.create(user=user, **profile_fields)
    return user, profile


def make_external_id(user: User, type_name: str = "xapi") -> ExternalId:
    """The user's external id of that type (creating the type if needed)."""
    ExternalIdType.objects.get_or_create(name=type_name, defaults={"description": type_name})
    external_id, _ = ExternalId.add_new_user_id(user, type_name)
    return external_id


def build_course(org: str = "OrgX", number: str = "C1", run: str = "2026", publish=True):
    """A course with two sections, detached blocks, graded and ungraded parts; returns its key.

    Outline (type:id): chapter:a [sequential:a1 graded [vertical:a1a [problem:p1, html:h1],
    vertical:a1b [video:v1]], sequential:a2 [vertical:a2a]], chapter:b [sequential:b1
    [vertical:b1a]]; detached: about:overview, static_tab:tab1, course_info:updates.
    Built as Studio does (draft-preferred, real store calls) with COURSE_PUBLISHED switched off,
    then (``publish``) the whole course is published: the first signal is the test's own.
    """
    store = modulestore()
    key = CourseLocator(org, number, run)
    with (
        SignalHandler.course_published.for_state(is_enabled=False),
        store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key),
        store.bulk_operations(key),
    ):
        course = store.create_course(
            org, number, run, USER_ID, fields={"display_name": f"{number} course"}
        )

        def add(parent, block_type: str, block_id: str, name: str | None, **fields):
            fields = fields | ({"display_name": name} if name is not None else {})
            return store.create_child(USER_ID, parent, block_type, block_id, fields=fields).location

        a = add(course.location, "chapter", "a", "Section A")
        a1 = add(a, "sequential", "a1", "Sub A1", graded=True, format="Exam")
        a1a = add(a1, "vertical", "a1a", "Unit A1a")
        add(a1a, "problem", "p1", "Problem 1")
        add(a1a, "html", "h1", None)
        a1b = add(a1, "vertical", "a1b", "Unit A1b")
        add(a1b, "video", "v1", "Video 1")
        a2 = add(a, "sequential", "a2", "Sub A2")
        add(a2, "vertical", "a2a", "Unit A2a")
        b = add(course.location, "chapter", "b", "Section B")
        b1 = add(b, "sequential", "b1", "Sub B1")
        add(b1, "vertical", "b1a", "Unit B1a")
        for block_type, block_id, name in (
            ("static_tab", "tab1", "Tab"),
            ("about", "overview", "About"),
            ("course_info", "updates", "Updates"),
        ):
            store.create_item(USER_ID, key, block_type, block_id, fields={"display_name": name})
    if publish:
        publish_course(key)
    return key


def published_empty_course(key: CourseLocator, display_name: str | None = None) -> CourseLocator:
    """A published course with no content, created as Studio does, without a ClickHouse dump."""
    store = modulestore()
    fields = {"display_name": display_name} if display_name else None
    with SignalHandler.course_published.for_state(is_enabled=False):
        with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
            store.create_course(key.org, key.course, key.run, USER_ID, fields=fields)
        publish_course(key)
    return key


def publish_course(course_key) -> None:
    """Publish the whole course (Studio's publish of the course root): one COURSE_PUBLISHED."""
    modulestore().publish(course_key.make_usage_key("course", "course"), USER_ID)


#: (block_type, block_id, section, subsection, unit, detached) in expected ``order``.
EXPECTED_OUTLINE = [
    ("course", "course", 0, 0, 0, False),
    ("chapter", "a", 1, 0, 0, False),
    ("sequential", "a1", 1, 1, 0, False),
    ("vertical", "a1a", 1, 1, 1, False),
    ("problem", "p1", 1, 1, 1, False),
    ("html", "h1", 1, 1, 1, False),
    ("vertical", "a1b", 1, 1, 2, False),
    ("video", "v1", 1, 1, 2, False),
    ("sequential", "a2", 1, 2, 0, False),
    ("vertical", "a2a", 1, 2, 1, False),
    ("chapter", "b", 2, 0, 0, False),
    ("sequential", "b1", 2, 1, 0, False),
    ("vertical", "b1a", 2, 1, 1, False),
    ("about", "overview", 0, 0, 0, True),
    ("course_info", "updates", 0, 0, 0, True),
    ("static_tab", "tab1", 0, 0, 0, True),
]
