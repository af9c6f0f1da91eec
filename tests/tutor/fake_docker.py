"""Run the real `tutor` CLI in a throw-away root, with a recording `docker` first on PATH.

The fake `docker` appends its argv (JSON, one call per line) to a log file, answers `[]` to
`docker compose … ls --format json` (Tutor asks which projects run) and exits 0 otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.tutor.freshness import REPO, plugin_from_tree

TUTOR = str(Path(sys.executable).with_name("tutor"))

FAKE_DOCKER = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["compose"] and "ls" in args and args[-2:] == ["--format", "json"]:
    print("[]")
"""


@dataclass
class TutorRun:
    """What one `tutor` invocation did: exit code, everything it printed, the docker calls."""

    returncode: int
    output: str
    docker_calls: list[list[str]]

    @property
    def job_calls(self) -> list[list[str]]:
        """Docker calls that start a container (everything but the `ls` probe)."""
        return [call for call in self.docker_calls if "ls" not in call]

    @property
    def job_services(self) -> list[str]:
        """The `<service>-job` services that `compose run` calls started, in order."""
        return [job_service(call) for call in self.docker_calls if "run" in call]


def job_service(call: list[str]) -> str:
    """The `<service>-job` service a `docker compose … run` call starts."""
    return call[call.index("run") + 3]


class TutorSandbox:
    """A Tutor root, a plugins root and a PATH whose `docker` only records its arguments."""

    def __init__(self, base: Path) -> None:
        self.root = base / "root"
        self.bin = base / "bin"
        self.log = base / "docker-calls.jsonl"
        self.bin.mkdir(parents=True)
        (base / "plugins").mkdir()
        docker = self.bin / "docker"
        docker.write_text(FAKE_DOCKER.format(python=sys.executable), encoding="utf-8")
        docker.chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "TUTOR_ROOT": str(self.root),
            "TUTOR_PLUGINS_ROOT": str(base / "plugins"),
            "FAKE_DOCKER_LOG": str(self.log),
        }
        self.env.pop("TUTOR_IGNORE_ENTRYPOINT_PLUGINS", None)
        if plugin_from_tree():
            self.env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
            )

    def tutor(self, *args: str) -> TutorRun:
        """Run `tutor *args` (stdin not a tty, like CI) and collect what it did."""
        self.log.unlink(missing_ok=True)
        done = subprocess.run(
            [TUTOR, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        calls = []
        if self.log.exists():
            lines = self.log.read_text(encoding="utf-8").splitlines()
            calls = [json.loads(line) for line in lines]
        return TutorRun(done.returncode, done.stdout, calls)

    def config(self) -> dict[str, object]:
        """The root's saved config.yml (generated secrets included)."""
        text = (self.root / "config.yml").read_text(encoding="utf-8")
        return yaml.safe_load(text)

    def local_job_argv(self, service: str, script: str) -> list[str]:
        """The exact docker argv Tutor uses to run `script` in `<service>-job` (local, no tty)."""
        env = self.root / "env" / "local"
        return [
            "compose",
            "-f",
            str(env / "docker-compose.yml"),
            "-f",
            str(env / "docker-compose.prod.yml"),
            "--project-name",
            str(self.config().get("LOCAL_PROJECT_NAME", "tutor_local")),
            "-f",
            str(env / "docker-compose.jobs.yml"),
            "run",
            "--rm",
            "-T",
            f"{service}-job",
            "sh",
            "-e",
            "-c",
            script,
        ]


# A stand-in for edx-platform's manage.py: records argv, then behaves as FAKE_* files say.
FAKE_MANAGE = """#!{python}
import json, pathlib, sys, time
here = pathlib.Path(__file__).parent
command = sys.argv[2]
with open(here / "calls.jsonl", "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
behaviour = here / ("behaviour-" + command)
mode = behaviour.read_text().strip() if behaviour.exists() else "ok"
if mode.startswith("sleep"):
    time.sleep(float(mode.split()[1]))
    (here / ("finished-" + command)).write_text("yes")
elif mode.startswith("exit"):
    sys.exit(int(mode.split()[1]))
"""


def execute_script(script: str, workdir: Path, **behaviour: str) -> tuple[int, list[list[str]]]:
    """Run a job script as the job container would (`sh -e -c`); return status and manage calls."""
    manage = workdir / "manage.py"
    manage.write_text(FAKE_MANAGE.format(python=sys.executable), encoding="utf-8")
    manage.chmod(0o755)
    for command, mode in behaviour.items():
        (workdir / f"behaviour-{command}").write_text(mode, encoding="utf-8")
    done = subprocess.run(["sh", "-e", "-c", script], cwd=workdir, timeout=60, check=False)
    log = workdir / "calls.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return done.returncode, [json.loads(line) for line in lines]
