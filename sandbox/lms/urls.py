"""URLs of the sandbox LMS: only what plugins register."""

from edx_django_utils.plugins import get_plugin_url_patterns
from openedx.core.djangoapps.plugins.constants import ProjectType

urlpatterns = [*get_plugin_url_patterns(ProjectType.LMS)]
