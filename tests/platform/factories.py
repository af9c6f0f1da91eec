"""Small builders of sandbox LMS objects for the platform tests."""

from __future__ import annotations

from common.djangoapps.student.models import UserProfile
from django.contrib.auth.models import User
from openedx.core.djangoapps.external_user_ids.models import ExternalId, ExternalIdType
from xmodule.modulestore.django import modulestore
from xmodule.modulestore.sandbox_store import BlockSpec

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


def build_course(org: str = "OrgX", number: str = "C1", run: str = "2026"):
    """A course with two sections, detached blocks, graded and ungraded parts; returns its key.

    Outline (type:id): chapter:a [sequential:a1 graded [vertical:a1a [problem:p1, html:h1],
    vertical:a1b [video:v1]], sequential:a2 [vertical:a2a]], chapter:b [sequential:b1
    [vertical:b1a]]; detached: about:overview, static_tab:tab1, course_info:updates.
    """
    store = modulestore()
    course = store.create_course(org, number, run, display_name=f"{number} course")
    key = course.id
    root = course.location

    def at(block_type: str, block_id: str):
        return key.make_usage_key(block_type, block_id)

    specs = [
        BlockSpec("chapter", "a", root, "Section A"),
        BlockSpec("sequential", "a1", at("chapter", "a"), "Sub A1", graded=True, format="Exam"),
        BlockSpec("vertical", "a1a", at("sequential", "a1"), "Unit A1a"),
        BlockSpec("problem", "p1", at("vertical", "a1a"), "Problem 1", graded=True),
        BlockSpec("html", "h1", at("vertical", "a1a"), None),
        BlockSpec("vertical", "a1b", at("sequential", "a1"), "Unit A1b"),
        BlockSpec("video", "v1", at("vertical", "a1b"), "Video 1"),
        BlockSpec("sequential", "a2", at("chapter", "a"), "Sub A2"),
        BlockSpec("vertical", "a2a", at("sequential", "a2"), "Unit A2a"),
        BlockSpec("chapter", "b", root, "Section B"),
        BlockSpec("sequential", "b1", at("chapter", "b"), "Sub B1"),
        BlockSpec("vertical", "b1a", at("sequential", "b1"), "Unit B1a"),
        BlockSpec("static_tab", "tab1", None, "Tab"),
        BlockSpec("about", "overview", None, "About"),
        BlockSpec("course_info", "updates", None, "Updates"),
    ]
    store.add_blocks(key, specs)
    return key


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
