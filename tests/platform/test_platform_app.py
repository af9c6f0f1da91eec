"""The app as the LMS/CMS load it: plugin entry points, settings, receivers, no tutor import."""

import subprocess
import sys
import types

from aspects_platform.settings import common, production
from edx_django_utils.plugins import get_plugin_apps

APP = "aspects_platform.apps.AspectsPlatformConfig"


def test_registered_for_lms_and_cms():
    assert APP in get_plugin_apps("lms.djangoapp")
    assert APP in get_plugin_apps("cms.djangoapp")


def test_common_settings_fill_defaults_without_overriding():
    module = types.SimpleNamespace(EVENT_SINK_CLICKHOUSE_PII_MODELS=["user_profile"])
    common.plugin_settings(module)
    assert module.EVENT_SINK_CLICKHOUSE_PII_MODELS == ["user_profile"]
    assert module.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG["database"] == "event_sink"
    assert module.EVENT_SINK_CLICKHOUSE_MODEL_CONFIG["user_profile"] == {
        "module": "common.djangoapps.student.models",
        "model": "UserProfile",
    }
    assert module.EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED is False


def test_production_settings_read_env_tokens():
    module = types.SimpleNamespace(
        ENV_TOKENS={
            "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG": {"url": "https://ch.example:8443"},
            "EVENT_SINK_CLICKHOUSE_PII_MODELS": ["user_profile"],
            "EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED": True,
        }
    )
    common.plugin_settings(module)
    production.plugin_settings(module)
    config = module.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG
    assert config["url"] == "https://ch.example:8443"
    assert config["database"] == "event_sink", "keys missing from the YAML keep their default"
    assert module.EVENT_SINK_CLICKHOUSE_PII_MODELS == ["user_profile"]
    assert module.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED is True


def test_production_settings_without_env_tokens_keep_values():
    module = types.SimpleNamespace()
    common.plugin_settings(module)
    production.plugin_settings(module)
    assert module.EVENT_SINK_CLICKHOUSE_PII_MODELS == ["user_profile", "external_id"]


def test_each_platform_receiver_is_connected_once():
    from aspects_platform import signals
    from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC
    from openedx_events.learning.signals import COURSE_ENROLLMENT_CHANGED
    from xmodule.modulestore.django import COURSE_PUBLISHED

    # The sandbox's plugins app connected them via PluginSignals, the app's ready() again.
    for signal, receiver in (
        (COURSE_ENROLLMENT_CHANGED, signals.on_course_enrollment_changed),
        (COURSE_PUBLISHED, signals.on_course_published),
        (USER_RETIRE_LMS_MISC, signals.on_user_retirement),
    ):
        uids = [entry[0][0] for entry in signal.receivers]
        assert uids.count(signals.dispatch_uid(receiver)) == 1


def test_the_app_never_imports_tutor():
    code = (
        "import os, sys, pkgutil, importlib, django;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.platform.settings';"
        "django.setup();"
        "import aspects_platform;"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages("
        "aspects_platform.__path__, 'aspects_platform.')];"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tutor', 'tutoraspects'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
