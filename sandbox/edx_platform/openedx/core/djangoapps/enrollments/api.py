"""The enrollment API functions the retirement uses (edx-platform's enrollments/api.py)."""

from openedx.core.djangoapps.enrollments import data


def unenroll_user_from_all_courses(username: str) -> set[str]:
    """Unenroll the user from every course; the orgs of those courses."""
    return data.unenroll_user_from_all_courses(username)
