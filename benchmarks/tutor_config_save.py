"""How much the `aspects` plugin slows Tutor down: `tutor config save` and `tutor plugins list`.

Each figure is the median of several runs of Tutor's own click CLI, called in ONE process on a
throw-away root, with the plugin disabled and enabled in alternation (so drift hits both
series alike). Target: config save with the plugin <= 1.3x without it (the rival plugin: 3.1x).
A second, smaller series runs fresh `tutor config save` processes, which also pays the plugin's
import; that is what an operator feels.

Run: python -m benchmarks.tutor_config_save [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PLUGIN = "aspects"
TARGET_RATIO = 1.3


class InProcessTutor:
    """Tutor's CLI invoked in this process on one root, like a long-lived Tutor would be."""

    def __init__(self, root: str) -> None:
        from click.testing import CliRunner
        from tutor import hooks
        from tutor.commands.cli import cli

        hooks.Actions.CORE_READY.do()
        self._cli = cli
        self._runner = CliRunner()
        self._root = root

    def __call__(self, *args: str) -> None:
        result = self._runner.invoke(self._cli, ["--root", self._root, *args])
        if result.exit_code != 0:
            raise RuntimeError(f"tutor {' '.join(args)} failed:\n{result.output}")

    def assert_plugin_loaded(self) -> None:
        """Make sure the enabled series measures the plugin (its hooks were registered again)."""
        from tutor import hooks

        defaults = hooks.Filters.CONFIG_DEFAULTS.iterate()
        if not any(name == "ASPECTS_VERSION" for name, _ in defaults):
            raise RuntimeError(f"plugin {PLUGIN!r} is enabled but its config is not registered")

    def timed(self, *args: str) -> float:
        started = time.perf_counter()
        self(*args)
        return time.perf_counter() - started


def _alternate(
    runs: int, tutor: InProcessTutor, measure: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Time ``measure`` ``runs`` times with the plugin disabled, and as many enabled."""
    disabled: list[float] = []
    enabled: list[float] = []
    for _ in range(runs):
        tutor("plugins", "disable", PLUGIN)
        disabled.append(measure())
        tutor("plugins", "enable", PLUGIN)
        tutor.assert_plugin_loaded()
        enabled.append(measure())
    return disabled, enabled


def _fresh_process_series(root: str, runs: int, *command: str) -> tuple[list[float], list[float]]:
    """Time `tutor *command` in new processes, plugin disabled then enabled, alternately."""
    tutor = str(Path(sys.executable).with_name("tutor"))
    env = {**os.environ, "TUTOR_ROOT": root}

    def run(*args: str) -> float:
        started = time.perf_counter()
        subprocess.run([tutor, *args], env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    disabled: list[float] = []
    enabled: list[float] = []
    for _ in range(runs):
        run("plugins", "disable", PLUGIN)
        disabled.append(run(*command))
        run("plugins", "enable", PLUGIN)
        enabled.append(run(*command))
    return disabled, enabled


def _report(label: str, disabled: list[float], enabled: list[float], target: float | None) -> float:
    off, on = statistics.median(disabled), statistics.median(enabled)
    ratio = on / off
    verdict = ""
    if target is not None:
        verdict = f"  (target <= {target}x: {'OK' if ratio <= target else 'MISSED'})"
    print(f"{label}")
    print(f"  plugin disabled: median {off * 1000:7.1f} ms over {len(disabled)} runs")
    print(f"  plugin enabled:  median {on * 1000:7.1f} ms over {len(enabled)} runs")
    print(f"  ratio enabled/disabled: {ratio:.2f}x{verdict}")
    return ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="in-process runs per series (>=1)")
    parser.add_argument("--process-runs", type=int, default=5, help="fresh-process runs (>=0)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.process_runs < 0:
        parser.error("--runs must be >= 1 and --process-runs >= 0")

    with tempfile.TemporaryDirectory(prefix="bench-tutor-") as base:
        root = os.path.join(base, "root")
        os.environ["TUTOR_PLUGINS_ROOT"] = os.path.join(base, "plugins")  # no user plugins
        os.environ.pop("TUTOR_IGNORE_ENTRYPOINT_PLUGINS", None)
        tutor = InProcessTutor(root)
        tutor("plugins", "enable", PLUGIN)
        tutor("config", "save")  # warm-up: first save creates config.yml and the env

        print(f"Tutor in one process, root {root}")
        _report(
            "tutor config save",
            *_alternate(args.runs, tutor, lambda: tutor.timed("config", "save")),
            TARGET_RATIO,
        )
        _report(
            "tutor plugins list",
            *_alternate(args.runs, tutor, lambda: tutor.timed("plugins", "list")),
            None,
        )
        if args.process_runs:
            print("Fresh processes (includes importing Tutor and the plugin)")
            for command in (("config", "save"), ("plugins", "list")):
                series = _fresh_process_series(root, args.process_runs, *command)
                _report(f"tutor {' '.join(command)}", *series, None)


if __name__ == "__main__":
    main()
