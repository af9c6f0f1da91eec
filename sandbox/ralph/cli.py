"""``python -m sandbox.ralph up|down|status``: Ralph beside the embedded ClickHouse.

``up`` needs the embedded ClickHouse up (``python -m sandbox.clickhouse_server up``); Ralph logs
into it as its own user ``ralph``, and the sandbox LMS's xAPI route points at Ralph.
"""

from __future__ import annotations

import argparse
import os
import sys

from sandbox.clickhouse_server.cli import sandbox_server
from sandbox.lms.paths import data_dir

from .process import ClickHouseLogin, RalphServer

CLICKHOUSE_USER = "ralph"


def sandbox_ralph() -> RalphServer:
    """The sandbox's Ralph (home ``<data dir>/ralph``), logging in as ``ralph``."""
    clickhouse = sandbox_server()
    login = ClickHouseLogin(
        clickhouse.url, CLICKHOUSE_USER, clickhouse.service_password(CLICKHOUSE_USER)
    )
    return RalphServer(data_dir() / "ralph", login)


def route_lms_to(ralph: RalphServer) -> bool:
    """Point the sandbox LMS's xAPI route at ``ralph``; False when ERB is not installed."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.lms.settings")
    from sandbox.lms import xapi_settings

    if not xapi_settings.available():
        return False
    from sandbox.lms.bootstrap import ensure_database

    ensure_database(["manage.py", "configure_xapi_router"])
    from sandbox.lms.xapi_router import configure_router

    configure_router(ralph.route_url, ralph.lms_username, ralph.lms_password)
    return True


def up() -> int:
    if not sandbox_server().is_up():
        print("error: the embedded ClickHouse is down: run `make sandbox-up`", file=sys.stderr)
        return 1
    ralph = sandbox_ralph()
    try:
        ralph.start(detached=True)
    except (RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Ralph is up at {ralph.url} (ClickHouse user {CLICKHOUSE_USER}; log {ralph.log_file})")
    if route_lms_to(ralph):
        print(f"sandbox LMS routes xAPI statements to {ralph.route_url}")
    else:
        print("edx-event-routing-backends is not installed: the LMS sends no xAPI statements")
    return 0


def down() -> int:
    ralph = sandbox_ralph()
    if ralph.running_pid() is None:
        print("Ralph is not running")
        return 0
    ralph.stop()
    print("Ralph stopped")
    return 0


def status() -> int:
    ralph = sandbox_ralph()
    if ralph.is_up():
        print(f"Ralph is up at {ralph.url} (pid {ralph.running_pid()})")
        return 0
    print("Ralph is down")
    return 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.ralph", description="Ralph (xAPI LRS) for the sandbox."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("up", help="start in the background (needs the embedded ClickHouse)")
    commands.add_parser("down", help="stop it")
    commands.add_parser("status", help="exit 0 if up, 3 if down")
    args = parser.parse_args(argv)
    return {"up": up, "down": down, "status": status}[args.command]()
