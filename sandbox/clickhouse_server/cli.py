"""Command line of the embedded ClickHouse: up, down, status (sandbox) and serve (foreground)."""

import argparse
import os
import sys
from pathlib import Path

from sandbox.lms.clickhouse_config import clickhouse_dir

from .auth import write_users_file
from .process import DEFAULT_USERNAME, HOST, EmbeddedClickHouse, read_or_create_secret

PORT_VARIABLE = "ASPECTS_SANDBOX_CLICKHOUSE_PORT"
HOME_VARIABLE = "ASPECTS_SANDBOX_CLICKHOUSE_HOME"


def sandbox_home() -> Path:
    """ASPECTS_SANDBOX_CLICKHOUSE_HOME, else the sandbox LMS's own ``<data dir>/clickhouse``.

    The sandbox LMS reads the password from that same folder (``sandbox.lms.clickhouse_config``).
    """
    return Path(os.environ.get(HOME_VARIABLE) or clickhouse_dir())


def sandbox_port() -> int:
    raw = os.environ.get(PORT_VARIABLE, "8123")
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"error: {PORT_VARIABLE}={raw!r} is not a TCP port (1-65535)")
    return int(raw)


def sandbox_server() -> EmbeddedClickHouse:
    return EmbeddedClickHouse(sandbox_home(), port=sandbox_port())


def up() -> int:
    from aspects_platform.clickhouse.connection import connect
    from aspects_platform.clickhouse.runner import apply_migrations
    from aspects_platform.clickhouse.schema import SchemaSettings

    server = sandbox_server()
    if server.is_up():
        print(f"embedded ClickHouse is already up at {server.url}")
        return 0
    try:
        server.start(detached=True)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    client = connect(server.url, server.username, server.password)
    applied = apply_migrations(client, SchemaSettings())
    for migration in applied:
        print(f"applied migration {migration.version:04d}_{migration.name}")
    if not applied:
        print("schema up to date")
    password_file = _display(server.home / "password")
    print(f"embedded ClickHouse is up at {server.url} (data in {_display(server.home)})")
    print(f"user: {server.username}  password: in {password_file}")
    print(
        f'try: curl -u "{server.username}:$(cat {password_file})" '
        f"'{server.url}/?query=SHOW+TABLES+FROM+event_sink'"
    )
    return 0


def _display(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def down() -> int:
    server = sandbox_server()
    stale = server.remove_stale_pid_file()
    if stale:
        print(
            f"stale pid file {_display(server.pid_file)} removed: {stale}, not this embedded "
            "ClickHouse; that process was left alone"
        )
    if server.running_pid() is None:
        print("embedded ClickHouse is not running")
        return 0
    server.stop()
    print("embedded ClickHouse stopped (data kept)")
    return 0


def status() -> int:
    server = sandbox_server()
    if server.is_up():
        print(f"embedded ClickHouse is up at {server.url} (pid {server.running_pid()})")
        return 0
    print("embedded ClickHouse is down")
    return 3


def serve(home: Path, port: int) -> int:
    from .auth import Users
    from .server import serve as run_server

    users_file = home / "users.json"
    if not users_file.exists():
        password = read_or_create_secret(home / "password")
        write_users_file(users_file, {DEFAULT_USERNAME: password})
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    run_server(HOST, port, str(data), Users.load(users_file))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.clickhouse_server",
        description="Embedded ClickHouse (chdb over HTTP) for the sandbox and tests.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("up", help="start in the background with the schema applied")
    commands.add_parser("down", help="stop the background server (data kept)")
    commands.add_parser("status", help="exit 0 if up, 3 if down")
    serve_parser = commands.add_parser("serve", help="run in the foreground")
    serve_parser.add_argument("--home", type=Path, default=None)
    serve_parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve((args.home or sandbox_home()).resolve(), args.port or sandbox_port())
    return {"up": up, "down": down, "status": status}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
