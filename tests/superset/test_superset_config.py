"""Our rendered superset_config.py as Superset itself loads it, and what its responses send."""

from __future__ import annotations

import json
import os
import subprocess

import requests

from sandbox.superset.venv import venv_path
from tests.superset.server import CONFIG_FILE, TEST_LMS_ORIGIN, SupersetServer

# What Superset's configuration module ends up with (our file is loaded at its end).
READ_CONFIG = """
import json
import superset.config as config
print(json.dumps({
    "csrf": config.WTF_CSRF_EXEMPT_LIST,
    "talisman": config.TALISMAN_CONFIG,
    "talisman_enabled": config.TALISMAN_ENABLED,
    "guest_role": config.GUEST_ROLE_NAME,
}))
"""


def superset_config(config_path: str | None) -> dict:
    """Superset's configuration with our file (or with none: Superset's defaults)."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    if config_path:
        environment["SUPERSET_CONFIG_PATH"] = config_path
    done = subprocess.run(
        [str(venv_path() / "bin" / "python"), "-c", READ_CONFIG],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_defaults_are_extended_not_replaced(superset: SupersetServer) -> None:
    ours = superset_config(str(superset.rendered.env / CONFIG_FILE))
    defaults = superset_config(None)
    assert ours["csrf"] == [*defaults["csrf"], "superset.security.api.guest_token"]
    assert "superset.views.core.log" in ours["csrf"]  # embedded dashboards POST their logs
    assert ours["talisman_enabled"] is True
    assert ours["talisman"]["frame_options"] is None
    policy = dict(ours["talisman"]["content_security_policy"])
    ancestors = policy.pop("frame-ancestors")
    assert policy == defaults["talisman"]["content_security_policy"]
    assert ancestors[0] == "'self'"
    assert ours["guest_role"] == "aspects_guest"


def test_responses_let_only_the_lms_and_cms_frame_superset(superset: SupersetServer) -> None:
    config = superset.rendered.config()
    extra = config["ASPECTS_SUPERSET_EXTRA_FRAME_ORIGINS"]
    assert extra == [TEST_LMS_ORIGIN]  # the browser tier's LMS
    response = requests.get(f"{superset.url}/login/", timeout=60)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    [ancestors] = [part.strip() for part in policy.split(";") if "frame-ancestors" in part]
    assert ancestors == (
        f"frame-ancestors 'self' http://{config['LMS_HOST']} http://{config['CMS_HOST']} "
        + " ".join(extra)
    )
