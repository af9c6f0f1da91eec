"""``EmbeddedClickHouse``: the embedded server as a child process with a fixed home folder.

The home folder holds ``data/`` (the engine's files), ``password`` (0600, generated once),
``users.json`` (salted hashes), ``port``, ``server.pid`` and ``server.log``. Stopping and
starting again keeps the port, the password and the data.
"""

import atexit
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from .auth import write_users_file

REPO_ROOT = Path(__file__).resolve().parents[2]
#: This tree's in-platform app (wins over an installed copy in the server's subprocess).
PLATFORM_PLUGIN = REPO_ROOT / "platform-plugin"
DEFAULT_USERNAME = "aspects"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def read_or_create_secret(path: Path) -> str:
    """The password in ``path``; generated (secrets module) into a 0600 file the first time."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Hex: never starts with "-" (read as an option by argparse/curl) and needs no quoting.
    value = secrets.token_hex(20)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value


def ping(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=timeout) as response:
            return response.status == 200 and response.read() == b"Ok.\n"
    except OSError:
        return False


class ChildServer:
    """A server run as a child process whose pid is kept in ``<home>/server.pid``."""

    home: Path
    port: int
    _process: subprocess.Popen | None = None

    def _init_home(self, home: str | Path, port: int | None) -> None:
        """Create the home folder; keep the port of an earlier run (else a free one)."""
        self.home = Path(home).resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        port_file = self.home / "port"
        if port is None:
            port = int(port_file.read_text()) if port_file.exists() else free_port()
        port_file.write_text(f"{port}\n")
        self.port = port
        self._process = None

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    def _pid_from_file(self) -> int | None:
        try:
            return int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None

    def running_pid(self) -> int | None:
        """The pid of a live server for this home folder, if any.

        The pid file's process counts only if its command line is this home's ``serve``: a
        pid reused by another program after a crash or reboot is never taken for the server.
        """
        pid = self._pid_from_file()
        return pid if pid is not None and self.is_own_server(pid) else None

    def is_own_server(self, pid: int) -> bool:
        """True when ``pid`` runs this home's server (``owns_command``)."""
        try:
            command = psutil.Process(pid).cmdline()
        except psutil.Error:
            return False
        return self.owns_command(command)

    def owns_command(self, command: list[str]) -> bool:
        """Whether a process command line is this home's server (each server says how)."""
        raise NotImplementedError

    def remove_stale_pid_file(self) -> str | None:
        """Remove a pid file that does not name this home's server; what it named, else None."""
        if not self.pid_file.exists():
            return None
        pid = self._pid_from_file()
        if pid is None:
            what = "it holds no pid"
        elif self.is_own_server(pid):
            return None
        else:
            what = f"pid {pid} is {_command_line(pid)}"
        self.pid_file.unlink(missing_ok=True)
        return what

    def _spawn(self, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        """Start ``command`` in its own session, output to the log, pid to the pid file."""
        with open(self.log_file, "ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._process.pid}\n")
        return self._process

    def _wait_ready(self, ready, timeout: float, what: str) -> None:
        """Poll ``ready()`` until true; stop and raise if the child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{what} exited with code {self._process.returncode}; "
                    f"see {self.log_file}:\n{self._log_tail()}"
                )
            if ready():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{what} was not ready within {timeout:.0f}s; see {self.log_file}")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); keep its data.

        Only this home's own server is signalled (see ``running_pid``); a stale pid file is
        removed and the process it names is left alone.
        """
        pid = self._process.pid if self._process and self._process.poll() is None else None
        pid = pid or self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid, self._process):
            time.sleep(0.05)
        if _alive(pid, self._process):
            os.kill(pid, signal.SIGKILL)
            _wait(pid, self._process)
        self.pid_file.unlink(missing_ok=True)
        self._process = None

    def _log_tail(self, lines: int = 20) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


class EmbeddedClickHouse(ChildServer):
    """Start/stop the embedded ClickHouse HTTP server; same port and data across restarts."""

    def owns_command(self, command: list[str]) -> bool:
        """``python -m sandbox.clickhouse_server serve --home <home>``."""
        module = any(command[k : k + 2] == ["-m", __package__] for k in range(len(command)))
        home = any(command[k : k + 2] == ["--home", str(self.home)] for k in range(len(command)))
        return module and "serve" in command and home

    def __init__(self, home: str | Path, port: int | None = None, username: str = DEFAULT_USERNAME):
        self._init_home(home, port)
        self.username = username
        self.password = read_or_create_secret(self.home / "password")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def is_up(self) -> bool:
        return self.running_pid() is not None and ping(self.url)

    def service_password(self, name: str) -> str:
        """The password of the extra user ``name`` (e.g. Ralph's), created on first use.

        Kept in ``<home>/password-<name>`` (0600); a running server sees the new user at once
        (it re-reads ``users.json`` when the file changes).
        """
        password = read_or_create_secret(self.home / f"password-{name}")
        self._write_users()
        return password

    def _write_users(self) -> None:
        users = {self.username: self.password}
        for path in sorted(self.home.glob("password-*")):
            users[path.name.removeprefix("password-")] = path.read_text().strip()
        write_users_file(self.home / "users.json", users)

    def start(self, timeout: float = 60.0, detached: bool = False) -> "EmbeddedClickHouse":
        """Start the server (no-op if this home's server is already up) and wait for /ping."""
        if self.is_up():
            return self
        self._write_users()
        command = [
            sys.executable, "-m", "sandbox.clickhouse_server", "serve",
            "--home", str(self.home), "--port", str(self.port),
        ]  # fmt: skip
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(
                    None,
                    [str(REPO_ROOT), str(PLATFORM_PLUGIN), os.environ.get("PYTHONPATH")],
                )
            ),
        }
        self._spawn(command, env)
        if not detached:
            atexit.register(self.stop)
        self._wait_ready(lambda: ping(self.url, timeout=0.5), timeout, "embedded ClickHouse")
        return self

    def __enter__(self) -> "EmbeddedClickHouse":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def _command_line(pid: int) -> str:
    try:
        return repr(" ".join(psutil.Process(pid).cmdline())[:80])
    except psutil.Error:
        return "not running"


def _alive(pid: int, process: subprocess.Popen | None) -> bool:
    """Whether ``pid`` still runs; an exited child its parent has not reaped yet (a zombie,
    when another process started it) counts as stopped."""
    if process is not None and process.pid == pid:
        return process.poll() is None
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait(pid: int, process: subprocess.Popen | None) -> None:
    if process is not None and process.pid == pid:
        process.wait()
        return
    while _alive(pid, None):
        time.sleep(0.05)
