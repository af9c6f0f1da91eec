"""What the Tutor plugin renders, shown in a throw-away Tutor root (`make demo` ends with it).

Runs the real `tutor` CLI twice, in temporary roots: once with the plugin enabled, once without,
and prints the difference by name only: services, job services, Kubernetes objects, settings
the LMS/CMS receive, init tasks and `do` commands. Values are never printed (they hold secrets).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

TUTOR = str(Path(sys.executable).with_name("tutor"))


def _tutor(root: Path, *args: str) -> str:
    """Run `tutor *args` in ``root``; return stdout (stderr is kept out: Tutor warns there)."""
    env = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(root / "plugins")}
    done = subprocess.run(
        [TUTOR, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        # The message names the failing command only; Tutor's own output may hold secrets.
        raise RuntimeError(f"`tutor {' '.join(args[:2])}` failed (exit {done.returncode})")
    return done.stdout


def _save(root: Path, *, with_plugin: bool) -> None:
    if with_plugin:
        _tutor(root, "plugins", "enable", "aspects")
    else:
        _tutor(root, "plugins", "disable", "aspects")
    _tutor(root, "config", "save")


def _services(root: Path, relative: str) -> set[str]:
    text = (root / "env" / relative).read_text(encoding="utf-8")
    return set(yaml.safe_load(text)["services"])


def _k8s_objects(root: Path) -> set[str]:
    objects = set()
    manifests = [*(root / "env" / "k8s").glob("*.yml")]
    manifests += (root / "env" / "plugins" / "aspects" / "apps" / "k8s").glob("*.yml")
    for path in sorted(manifests):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                objects.add(f"{doc['kind']}/{doc['metadata']['name']}")
    return objects


def _settings_names(code: str) -> list[str]:
    """Names that settings code assigns (module level, public ones only)."""
    names = []
    for node in ast.parse(code).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                names.append(target.id)
    return names


def _line(title: str, items: list[str] | set[str]) -> None:
    print(f"    {title:<24} {', '.join(sorted(items)) if items else '(none)'}")


def main() -> None:
    """Render with and without the plugin in temporary roots; print what the plugin adds."""
    from tutoraspects import commands, config

    with tempfile.TemporaryDirectory(prefix="aspects-render-") as tmp:
        with_plugin, without = Path(tmp) / "with", Path(tmp) / "without"
        _save(with_plugin, with_plugin=True)
        _save(without, with_plugin=False)

        print(f"    Tutor root (temporary)   {with_plugin}")
        for label, relative in (
            ("local services", "local/docker-compose.yml"),
            ("job services", "local/docker-compose.jobs.yml"),
            ("dev services", "dev/docker-compose.yml"),
        ):
            _line(label, _services(with_plugin, relative) - _services(without, relative))
        _line("k8s objects", _k8s_objects(with_plugin) - _k8s_objects(without))
        settings = _tutor(with_plugin, "config", "patches", "show", "openedx-common-settings")
        _line("LMS/CMS settings", _settings_names(settings))
        rendered = sorted(
            str(path.relative_to(with_plugin / "env"))
            for path in (with_plugin / "env" / "plugins" / "aspects").rglob("*")
            if path.is_file()
        )
        _line("plugin files", rendered)
        tasks = [f"{name} (in {service}-job)" for name, (service, _) in config.INIT_TASKS.items()]
        _line("init tasks (do init)", tasks)
        _line("do commands", [command.name or "" for command in commands.DO_COMMANDS])
        generated = len(config.UNIQUE)
        print(
            f"    {'config':<24} {len(config.DEFAULTS)} ASPECTS_* settings with defaults, "
            f"{generated} generated secrets kept in config.yml (never printed)"
        )


if __name__ == "__main__":
    main()
