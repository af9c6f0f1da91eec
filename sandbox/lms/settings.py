"""Settings of the sandbox LMS: stand-in edx-platform apps + the in-platform app as a plugin.

Environment overrides (all optional): ASPECTS_SANDBOX_DIR, ASPECTS_SANDBOX_DB,
ASPECTS_SANDBOX_CLICKHOUSE_{PORT,URL,USER,PASSWORD,DATABASE}, ASPECTS_SANDBOX_SINKS_ENABLED
(0 turns every sink setting off), ASPECTS_SANDBOX_CELERY_EAGER (0 = send tasks to the broker),
ASPECTS_SANDBOX_CELERY_BROKER (default ``memory://localhost/``), ASPECTS_SANDBOX_PLUGINS
(0 = no plugin apps, settings or receivers). ``SERVICE_VARIANT`` (``manage.py cms ...``) picks
the modulestore's default branch: published-only for the LMS, draft-preferred for the CMS.
"""

import os

from edx_django_utils.plugins import add_plugins, get_plugin_apps

from sandbox.lms.paths import EDX_PLATFORM_ROOT, add_to_sys_path, data_dir, database_path

add_to_sys_path()

from openedx.core.djangoapps.plugins.constants import ProjectType, SettingsType  # noqa: E402

from sandbox.lms import xapi_settings  # noqa: E402
from sandbox.lms.clickhouse_config import SandboxBackendConfig  # noqa: E402


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() not in ("0", "false", "no", "")


# "lms" or "cms", as edx-platform's manage.py sets it (`manage.py cms <command>`).
SERVICE_VARIANT = os.environ.get("SERVICE_VARIANT", "lms")
# As edx-platform: lms/envs leave it unset (published-only); cms/envs/common.py sets
# 'draft-preferred'. Read by xmodule.modulestore.django._get_modulestore_branch_setting.
MODULESTORE_BRANCH = "draft-preferred" if SERVICE_VARIANT == "cms" else None
DEBUG = False
# Sandbox only: never used by a real LMS. Not a secret worth protecting.
SECRET_KEY = os.environ.get("ASPECTS_SANDBOX_SECRET_KEY", "sandbox-only-insecure-key")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
ROOT_URLCONF = "sandbox.lms.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SANDBOX_DATA_DIR = data_dir()
LMS_ROOT_URL = "http://localhost:8000"
STATIC_URL = "/static/"
# As lms/envs/common.py: one login at a time (the profile is saved on every login/logout).
FEATURES = {"CUSTOM_COURSES_EDX": False, "PREVENT_CONCURRENT_LOGINS": True}

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(database_path()),
        "OPTIONS": {"timeout": 30},
    }
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "waffle",
    "common.djangoapps.student.apps.StudentConfig",
    "openedx.core.djangoapps.external_user_ids.apps.ExternalUserIDConfig",
    "openedx.core.djangoapps.content.course_overviews.apps.CourseOverviewsConfig",
    "openedx.core.djangoapps.user_api.apps.UserAPIConfig",
    "openedx.core.djangoapps.plugins.apps.PluginsConfig",
    "xmodule.modulestore.apps.ModulestoreConfig",
    "openedx_tagging.core.tagging.apps.TaggingConfig",
    "lms.djangoapps.ccx.apps.CCXConfig",
    "sandbox.lms",
]
# The in-platform app joins the way it joins the LMS: through its plugin entry points.
# ASPECTS_SANDBOX_PLUGINS=0 leaves plugins out (only the stand-in edx-platform remains).
SANDBOX_PLUGINS_ENABLED = _env_flag("ASPECTS_SANDBOX_PLUGINS", True)
if SANDBOX_PLUGINS_ENABLED:
    INSTALLED_APPS.extend(get_plugin_apps(ProjectType.LMS))
# event-routing-backends joins as an LMS plugin when installed; its Celery tasks need the apps
# edx-platform always has (celery_utils' FailedTask model, event-tracking).
if any(app.startswith("event_routing_backends") for app in INSTALLED_APPS):
    INSTALLED_APPS += ["celery_utils", "eventtracking.django.apps.EventTrackingConfig"]

# As lms/envs/common.py: the request's language is the user's (LocaleMiddleware activates it).
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "waffle.middleware.WaffleMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("ASPECTS_SANDBOX_LOG_LEVEL", "WARNING"),
    },
}

# Retirement, as lms/envs/common.py (salts: newest last; the sandbox's are not secret).
RETIRED_USERNAME_PREFIX = "retired__user_"
RETIRED_EMAIL_PREFIX = "retired__user_"
RETIRED_EMAIL_DOMAIN = "retired.invalid"
RETIRED_USERNAME_FMT = RETIRED_USERNAME_PREFIX + "{}"
RETIRED_EMAIL_FMT = RETIRED_EMAIL_PREFIX + "{}@" + RETIRED_EMAIL_DOMAIN
RETIRED_USER_SALTS = ["abc", "123"]
# The states of a retirement pipeline with the LMS steps (tubular's retirement_pipeline).
RETIREMENT_STATES = [
    "PENDING",
    "LOCKING_ACCOUNT",
    "LOCKING_COMPLETE",
    "RETIRING_ENROLLMENTS",
    "ENROLLMENTS_COMPLETE",
    "RETIRING_LMS_MISC",
    "LMS_MISC_COMPLETE",
    "RETIRING_LMS",
    "LMS_COMPLETE",
    "ERRORED",
    "ABORTED",
    "COMPLETE",
]

# Celery: eager by default (the CLI and the demo); tests may run a real worker on memory://.
CELERY_BROKER_URL = os.environ.get("ASPECTS_SANDBOX_CELERY_BROKER", "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = _env_flag("ASPECTS_SANDBOX_CELERY_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
# edx-platform clears the request cache when a (non-eager) task ends.
CLEAR_REQUEST_CACHE_ON_TASK_COMPLETION = True
RETIREMENT_SERVICE_WORKER_USERNAME = "RETIREMENT_SERVICE_USER"

# Mako templates, as lms/envs/common.py: the platform's own, then what plugins append.
MAKO_TEMPLATE_DIRS_BASE = [EDX_PLATFORM_ROOT / "lms" / "templates"]

# Plugin defaults first (as common.py does), then the sandbox's values (as production.py does).
if SANDBOX_PLUGINS_ENABLED:
    add_plugins(__name__, ProjectType.LMS, SettingsType.COMMON)

# Tracking events -> edx-event-routing-backends -> Ralph, when ERB is installed (as a plugin).
if SANDBOX_PLUGINS_ENABLED and xapi_settings.available():
    xapi_settings.apply(globals())

EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = SandboxBackendConfig()
EVENT_SINK_CLICKHOUSE_PII_MODELS = ["user_profile", "external_id"]
EVENT_SINK_CLICKHOUSE_PII_ENABLED = _env_flag("ASPECTS_SANDBOX_SINKS_ENABLED", True)
# Same module paths as edx-platform: here they resolve to the stand-in models.
EVENT_SINK_CLICKHOUSE_MODEL_CONFIG = {
    "auth_user": {"module": "django.contrib.auth.models", "model": "User"},
    "user_profile": {"module": "common.djangoapps.student.models", "model": "UserProfile"},
    "course_overviews": {
        "module": "openedx.core.djangoapps.content.course_overviews.models",
        "model": "CourseOverview",
    },
    "external_id": {
        "module": "openedx.core.djangoapps.external_user_ids.models",
        "model": "ExternalId",
    },
    "course_enrollment": {
        "module": "common.djangoapps.student.models",
        "model": "CourseEnrollment",
    },
    "user_retirement_request": {
        "module": "openedx.core.djangoapps.user_api.models",
        "model": "UserRetirementRequest",
    },
    "custom_course_edx": {"module": "lms.djangoapps.ccx.models", "model": "CustomCourseForEdX"},
    "tag": {"module": "openedx_tagging.core.tagging.models", "model": "Tag"},
    "taxonomy": {"module": "openedx_tagging.core.tagging.models", "model": "Taxonomy"},
    "object_tag": {"module": "openedx_tagging.core.tagging.models", "model": "ObjectTag"},
}
_SINKS_ON = _env_flag("ASPECTS_SANDBOX_SINKS_ENABLED", True)
EVENT_SINK_CLICKHOUSE_COURSE_OVERVIEWS_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_EXTERNAL_ID_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_TAG_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_TAXONOMY_ENABLED = _SINKS_ON
EVENT_SINK_CLICKHOUSE_OBJECT_TAG_ENABLED = _SINKS_ON

# The Reports tab (legacy Instructor Dashboard at /courses/<course>/instructor), as the Tutor
# plugin configures it. No ASPECTS_SANDBOX_SUPERSET_URL: no tab. The guest-token secret and
# audience come from the environment (never a command line).
OPEN_EDX_FILTERS_CONFIG = {
    "org.openedx.learning.instructor.dashboard.render.started.v1": {
        "fail_silently": True,
        "pipeline": ["aspects_platform.filters.AddSupersetTab"],
    },
    "org.openedx.learning.instructor.dashboard.tabs.requested.v1": {
        "fail_silently": True,
        "pipeline": ["aspects_platform.filters.AddSupersetTabToInstructorDashboard"],
    },
}
SUPERSET_CONFIG = {
    "service_url": os.environ.get("ASPECTS_SANDBOX_SUPERSET_URL", ""),
    "internal_service_url": os.environ.get("ASPECTS_SANDBOX_SUPERSET_URL", ""),
    "username": "",
    "password": "",
    "guest_token_jwt_secret": os.environ.get("ASPECTS_SANDBOX_SUPERSET_GUEST_TOKEN_JWT_SECRET", ""),
    "guest_token_jwt_audience": os.environ.get(
        "ASPECTS_SANDBOX_SUPERSET_GUEST_TOKEN_JWT_AUDIENCE", "aspects"
    ),
}
