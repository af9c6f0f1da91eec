"""Connects plugin signal receivers once apps are ready, as edx-platform's plugins app does."""

from django.apps import AppConfig
from django.conf import settings
from edx_django_utils.plugins import connect_plugin_receivers

from openedx.core.djangoapps.plugins.constants import ProjectType


class PluginsConfig(AppConfig):
    """The ``plugins`` app: wires each plugin's PluginSignals receivers."""

    name = "openedx.core.djangoapps.plugins"
    label = "plugins"

    def ready(self) -> None:
        """Connect the receivers of the project type in ``settings.SERVICE_VARIANT``."""
        if not getattr(settings, "SANDBOX_PLUGINS_ENABLED", True):
            return
        variant = getattr(settings, "SERVICE_VARIANT", "lms")
        connect_plugin_receivers(ProjectType.CMS if variant == "cms" else ProjectType.LMS)
