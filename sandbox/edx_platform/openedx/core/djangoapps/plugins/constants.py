"""Project and settings types used by edx-django-utils plugins (values as in edx-platform)."""


class ProjectType:
    """The project types plugins register for."""

    LMS = "lms.djangoapp"
    CMS = "cms.djangoapp"


class SettingsType:
    """The settings modules plugins provide."""

    PRODUCTION = "production"
    COMMON = "common"
    DEVSTACK = "devstack"
    TEST = "test"
