"""Tutor plugin `aspects`: hooks only. Read it as the table of contents of the plugin.

What each hook points at:
- configuration: ``config.py`` (defaults, generated secrets, images, init tasks); values
  computed from it: ``derived.py``;
- templates: ``templates/aspects/`` (apps/ service files, build/ the Superset image, jobs/ init
  scripts), rendered to ``env/plugins/aspects/``; ``templates/build/openedx/aspects-platform``
  (the in-platform app, added by the wheel) is copied byte for byte into the openedx image;
- patches: one file per Tutor patch in ``patches/`` (the file name is the patch name); they
  call the template helpers of ``service_env.py`` (service environments), ``openedx_settings.py``
  (LMS/CMS settings) and ``templating.py`` (safe value rendering);
- `do` commands: ``commands.py``.
"""

from __future__ import annotations

import os

from tutor import hooks

from . import commands, config, openedx_settings, service_env, superset_settings, templating
from .__about__ import __version__

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES_ROOT = os.path.join(HERE, "templates")
PATCHES_ROOT = os.path.join(HERE, "patches")
# Where the in-platform app's sources sit inside the openedx build context.
PLATFORM_APP_BUILD_PATH = "build/openedx/aspects-platform/"

########### Configuration
hooks.Filters.CONFIG_DEFAULTS.add_items(
    [("ASPECTS_VERSION", __version__), *config.prefixed(config.DEFAULTS)]
)
hooks.Filters.CONFIG_UNIQUE.add_items(config.prefixed(config.UNIQUE))
hooks.Filters.CONFIG_OVERRIDES.add_items(list(config.OVERRIDES.items()))

########### Templates
hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(TEMPLATES_ROOT)
# One target: apps/, build/ and jobs/ all land in env/plugins/aspects/.
hooks.Filters.ENV_TEMPLATE_TARGETS.add_item(("aspects/", "plugins"))
hooks.Filters.ENV_TEMPLATE_FILTERS.add_items(templating.FILTERS + service_env.FILTERS)
hooks.Filters.ENV_TEMPLATE_VARIABLES.add_items(
    openedx_settings.VARIABLES + service_env.VARIABLES + superset_settings.VARIABLES
)


@hooks.Filters.IS_FILE_RENDERED.add()
def _copy_platform_app_verbatim(should_render: bool, path: str) -> bool:
    """The in-platform app is Python and HTML, not Jinja: copy it into the image unchanged."""
    if path.startswith(PLATFORM_APP_BUILD_PATH):
        return False
    return should_render


########### Images
IMAGE_TAGS = [(name, tag) for name, _path, tag in config.IMAGES]
hooks.Filters.IMAGES_BUILD.add_items([(name, path, tag, ()) for name, path, tag in config.IMAGES])
hooks.Filters.IMAGES_PULL.add_items(IMAGE_TAGS)
hooks.Filters.IMAGES_PUSH.add_items(IMAGE_TAGS)


@hooks.Filters.IMAGES_BUILD_REQUIRED.add()
def _build_images_on_launch(names: list[str], context_name: str) -> list[str]:
    """`launch` builds our Superset image, and the openedx image that must carry our app."""
    names.extend(name for name, _tag in IMAGE_TAGS)
    if context_name == "local":
        names.append("openedx")  # dev builds openedx-dev already
    return names


@hooks.Filters.APP_PUBLIC_HOSTS.add()
def _superset_public_host(hosts: list[str], context_name: str) -> list[str]:
    port = ":{{ ASPECTS_SUPERSET_PORT }}" if context_name == "dev" else ""
    return [*hosts, "{{ ASPECTS_SUPERSET_HOST }}" + port]


########### Patches (file name = patch name), read on first use, not at import
@hooks.Filters.ENV_PATCHES.add()
def _add_patches(patches: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return patches + templating.read_patches(PATCHES_ROOT)


########### Init tasks (`tutor … do init`) and `do` commands
hooks.Filters.CLI_DO_INIT_TASKS.add_items(
    [(service, config.task_script(template)) for service, template in config.INIT_TASKS.values()]
)
hooks.Filters.CLI_DO_COMMANDS.add_items(commands.DO_COMMANDS)
