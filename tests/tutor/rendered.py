"""Tutor roots rendered once per test session, and readers for what Tutor wrote."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.tutor.fake_docker import TUTOR, TutorSandbox

SECRET_KEYS = (
    "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD",
    "ASPECTS_CLICKHOUSE_LMS_PASSWORD",
    "ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD",
    "ASPECTS_CLICKHOUSE_RALPH_PASSWORD",
    "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD",
    "ASPECTS_SUPERSET_SECRET_KEY",
    "ASPECTS_SUPERSET_ADMIN_PASSWORD",
    "ASPECTS_SUPERSET_LMS_PASSWORD",
    "ASPECTS_SUPERSET_GUEST_TOKEN_JWT_SECRET",
    "ASPECTS_RALPH_ADMIN_PASSWORD",
    "ASPECTS_RALPH_LMS_PASSWORD",
)


@dataclass
class Rendered:
    """One Tutor root where the plugin is enabled and `tutor config save` ran."""

    box: TutorSandbox
    _config: dict[str, Any] | None = None

    @property
    def env(self) -> Path:
        return self.box.root / "env"

    def text(self, relative: str) -> str:
        return (self.env / relative).read_text(encoding="utf-8")

    def yaml(self, relative: str) -> Any:
        return yaml.safe_load(self.text(relative))

    def yaml_docs(self, relative: str) -> list[dict[str, Any]]:
        return [doc for doc in yaml.safe_load_all(self.text(relative)) if doc]

    def services(self, relative: str) -> dict[str, Any]:
        return self.yaml(relative)["services"]

    def config(self) -> dict[str, Any]:
        """The full configuration (defaults included), as Tutor loads it for this root."""
        if self._config is None:
            self._config = load_full_config(self.box)
        return self._config

    def patch(self, name: str) -> str:
        """The rendered contents of one Tutor patch (all plugins), as Tutor shows it."""
        done = subprocess.run(
            [TUTOR, "config", "patches", "show", name],
            env=self.box.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def secrets(self) -> dict[str, str]:
        """The plugin's generated secrets, as saved in config.yml."""
        saved = self.box.config()
        return {key: str(saved[key]) for key in SECRET_KEYS}


# Loads the configuration the way the `tutor` CLI does, in a child process (hooks stay clean).
_LOAD_CONFIG = """
import json, sys
from tutor import config, hooks
hooks.Actions.CORE_READY.do()
hooks.Actions.PROJECT_ROOT_READY.do(sys.argv[1])
json.dump(config.load(sys.argv[1]), sys.stdout)
"""


def load_full_config(box: TutorSandbox) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_CONFIG, str(box.root)],
        env=box.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def render(base: Path, *settings: str) -> Rendered:
    """Enable the plugin in a fresh root under ``base`` and save the config with ``settings``."""
    box = TutorSandbox(base)
    enabled = box.tutor("plugins", "enable", "aspects")
    assert enabled.returncode == 0, enabled.output
    args = ["config", "save"]
    for setting in settings:
        args += ["--set", setting]
    saved = box.tutor(*args)
    assert saved.returncode == 0, saved.output
    return Rendered(box)


def run_settings(code: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute settings code as Django would import it; return its globals."""
    scope: dict[str, Any] = {} if namespace is None else namespace
    exec(compile(code, "settings.py", "exec"), scope)  # noqa: S102 (our rendered settings)
    scope.pop("__builtins__", None)
    return scope


def literal_assignments(code: str) -> dict[str, Any]:
    """Top-level ``NAME = <literal>`` of a Python file (what does not need Superset to run)."""
    values = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return values
