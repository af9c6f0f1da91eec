"""Install tier: the plugin installs beside each supported Tutor without touching Tutor's pins.

Each test builds a throw-away virtualenv (`python -m venv`), installs from the package index
(pip's cache makes reruns fast) and runs the real `tutor` it installed. Slow: marker `install`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.shell import run

pytestmark = [pytest.mark.install, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
# The oldest Tutor major the plugin supports (pyproject: tutor>=20.0.0); the newest is "latest".
OLDEST_SUPPORTED_MAJOR = 20


@functools.cache
def tutor_versions() -> list[tuple[int, ...]]:
    """Every final Tutor release on the index, newest first (asked once per session)."""
    output = run(sys.executable, "-m", "pip", "index", "versions", "tutor")
    listed = re.search(r"Available versions: (.+)", output)
    assert listed, output
    versions = [v.strip() for v in listed.group(1).split(",")]
    finals = [v for v in versions if re.fullmatch(r"\d+(\.\d+)*", v)]
    return sorted((tuple(int(part) for part in v.split(".")) for v in finals), reverse=True)


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


@pytest.fixture(scope="module")
def plugin_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin built once as a wheel, exactly as it would be published."""
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, REPO)
    (wheel,) = out.glob("tutor_aspects-*.whl")
    return wheel


class Venv:
    """A throw-away virtualenv with its own pip and tutor."""

    def __init__(self, path: Path) -> None:
        run(sys.executable, "-m", "venv", path)
        self.path = path
        self.python = path / "bin" / "python"

    def pip(self, *args: str | Path) -> str:
        return run(self.python, "-m", "pip", "--disable-pip-version-check", *args)

    def installed(self) -> dict[str, str]:
        """Installed distributions, normalised name -> version."""
        listed = json.loads(self.pip("list", "--format", "json"))
        return {re.sub(r"[-_.]+", "-", d["name"]).lower(): d["version"] for d in listed}

    def tutor(self, root: Path, *args: str, expect_status: int = 0) -> str:
        env = {
            **os.environ,
            "TUTOR_ROOT": str(root),
            "TUTOR_PLUGINS_ROOT": str(root.parent / "plugins"),
        }
        env.pop("TUTOR_IGNORE_ENTRYPOINT_PLUGINS", None)
        return run(self.path / "bin" / "tutor", *args, env=env, expect_status=expect_status)


def check_plugin_renders(venv: Venv, root: Path) -> None:
    """`tutor plugins enable aspects && tutor config save` works and renders the plugin."""
    venv.tutor(root, "plugins", "enable", "aspects")
    venv.tutor(root, "config", "save")
    listed = venv.tutor(root, "plugins", "list")
    assert re.search(r"^aspects\s.*enabled", listed, re.MULTILINE), listed
    assert (root / "env" / "plugins" / "aspects").is_dir()
    compose = (root / "env" / "local" / "docker-compose.yml").read_text(encoding="utf-8")
    assert "clickhouse" in compose
    # The `do` jobs load and validate with this Tutor's click too (no container involved).
    usage = venv.tutor(root, "local", "do", "dump-data-to-clickhouse", "--help")
    assert "--batch-size" in usage and "course_enrollment" in usage
    refused = venv.tutor(
        root, "local", "do", "dump-data-to-clickhouse", "--object", "nope", expect_status=2
    )
    assert "user_profile" in refused


def test_plugin_keeps_the_latest_tutor_and_its_click(plugin_wheel: Path, tmp_path: Path) -> None:
    latest = dotted(tutor_versions()[0])
    venv = Venv(tmp_path / "venv")
    venv.pip("install", "-q", f"tutor=={latest}")
    alone = venv.installed()

    venv.pip("install", "-q", f"tutor=={latest}", plugin_wheel)
    together = venv.installed()

    assert together["tutor"] == latest
    changed = {name: (v, together[name]) for name, v in alone.items() if together.get(name) != v}
    assert changed == {}, f"installing the plugin changed Tutor's dependencies: {changed}"
    assert together["click"] == alone["click"]
    venv.pip("check")
    check_plugin_renders(venv, tmp_path / "root")


def test_oldest_supported_tutor_major(plugin_wheel: Path, tmp_path: Path) -> None:
    newest_of_major = next(v for v in tutor_versions() if v[0] == OLDEST_SUPPORTED_MAJOR)
    venv = Venv(tmp_path / "venv")
    venv.pip("install", "-q", f"tutor=={dotted(newest_of_major)}", plugin_wheel)
    assert venv.installed()["tutor"] == dotted(newest_of_major)
    venv.pip("check")
    check_plugin_renders(venv, tmp_path / "root")


def test_tutor_older_than_the_supported_range_is_refused(plugin_wheel: Path) -> None:
    """The declared range is enforced by pip, not only documented."""
    too_old = next(v for v in tutor_versions() if v[0] == OLDEST_SUPPORTED_MAJOR - 1)
    args = ["install", "--dry-run", "--ignore-installed", f"tutor=={dotted(too_old)}"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, str(plugin_wheel)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    assert "conflict" in done.stdout.lower(), done.stdout
