"""Django app config, registered in the LMS and CMS through edx-django-utils plugin entry points."""

from django.apps import AppConfig
from edx_django_utils.plugins.constants import PluginSettings, PluginSignals, PluginURLs

LMS = "lms.djangoapp"
CMS = "cms.djangoapp"

#: Platform signals this app listens to, by dotted path. Model ``post_save`` receivers are
#: connected in ``ready()`` instead, because their models come from the MODEL_CONFIG setting.
PLATFORM_RECEIVERS = [
    {
        PluginSignals.RECEIVER_FUNC_NAME: "on_course_published",
        PluginSignals.SIGNAL_PATH: "xmodule.modulestore.django.COURSE_PUBLISHED",
    },
    {
        # Every saved enrollment change (see signals.on_course_enrollment_changed).
        PluginSignals.RECEIVER_FUNC_NAME: "on_course_enrollment_changed",
        PluginSignals.SIGNAL_PATH: "openedx_events.learning.signals.COURSE_ENROLLMENT_CHANGED",
    },
    {
        PluginSignals.RECEIVER_FUNC_NAME: "on_user_retirement",
        PluginSignals.SIGNAL_PATH: (
            "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_MISC"
        ),
    },
]


def _settings_config() -> dict:
    paths = {
        "common": {PluginSettings.RELATIVE_PATH: "settings.common"},
        "production": {PluginSettings.RELATIVE_PATH: "settings.production"},
    }
    return {LMS: paths, CMS: paths}


def _urls_config() -> dict:
    """``/aspects/...`` in the LMS and CMS (edx-platform includes plugin URLs this way)."""
    urls = {
        PluginURLs.NAMESPACE: "aspects_platform",
        PluginURLs.REGEX: r"^aspects/",
        PluginURLs.RELATIVE_PATH: "urls",
    }
    return {LMS: urls, CMS: urls}


def _signals_config() -> dict:
    return {PluginSignals.RELATIVE_PATH: "signals", PluginSignals.RECEIVERS: PLATFORM_RECEIVERS}


class AspectsPlatformConfig(AppConfig):
    """ClickHouse event sinks, ``dump_data_to_clickhouse`` and the Reports endpoints."""

    name = "aspects_platform"
    verbose_name = "Aspects"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        PluginURLs.CONFIG: _urls_config(),
        PluginSettings.CONFIG: _settings_config(),
        PluginSignals.CONFIG: {LMS: _signals_config(), CMS: _signals_config()},
    }

    def ready(self) -> None:
        """Apply setting defaults (the established app's filter steps replaced by ours) and
        connect every receiver whose sender can be imported.

        The platform connects ``PLATFORM_RECEIVERS`` itself; connecting them here too (same
        ``dispatch_uid``) makes the app work in any Django project, e.g. the sandbox LMS.
        """
        from django.conf import settings

        from aspects_platform import established, signals
        from aspects_platform.settings.common import apply_defaults

        apply_defaults(settings)
        established.replace_filter_steps(settings)
        signals.connect_receivers()
