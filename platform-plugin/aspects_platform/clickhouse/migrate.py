"""The init job: ``python -m aspects_platform.clickhouse.migrate [--wait S] [--skip-users]
[--adopt-established]``.

Waits for ClickHouse's /ping, creates/updates the service users and grants, applies the
migrations and prints what it did, never a password. Tables of an established Aspects install
stop it before any change, unless ``--adopt-established`` converts them (see the runner).
Configuration comes from the environment; each variable ``X`` may instead be read from the
file named by ``X_FILE``.
"""

import argparse
import os
import ssl
import sys
import time
import urllib.request
from dataclasses import dataclass, field

from .adopt import AdoptionError
from .connection import connect, display_url, parse_url
from .established import ADOPT_FLAG, EstablishedSchemaError
from .identifiers import InvalidIdentifierError
from .runner import MigrationChecksumError, apply_migrations
from .schema import SchemaSettings
from .users import SERVICES, ServiceUser, apply_users


class ConfigurationError(ValueError):
    """Missing or invalid environment configuration."""


@dataclass(frozen=True)
class MigrateConfig:
    url: str
    admin_user: str
    admin_password: str = field(repr=False)
    schema: SchemaSettings = field(default_factory=SchemaSettings)
    users: tuple[ServiceUser, ...] = ()


def env_value(environ, name: str, default: str | None = None) -> str | None:
    """``name`` from the environment, or the content of the file named by ``name_FILE``."""
    file_name = environ.get(f"{name}_FILE")
    if file_name:
        try:
            with open(file_name, encoding="utf-8") as handle:
                return handle.read().rstrip("\r\n")
        except OSError as error:
            raise ConfigurationError(
                f"{name}_FILE: cannot read {file_name}: {error.strerror}"
            ) from None
    return environ.get(name, default)


def pii_tables_from(value: str | None) -> tuple[str, ...]:
    """Comma-separated PII tables (EVENT_SINK_CLICKHOUSE_PII_MODELS); the default when unset."""
    if value is None:
        return SchemaSettings.pii_tables
    return tuple(table.strip() for table in value.split(",") if table.strip())


def config_from_env(environ=os.environ) -> MigrateConfig:
    """Read the environment contract (see docs/clickhouse.md)."""
    missing = [
        name
        for name in ("ASPECTS_CLICKHOUSE_URL", "ASPECTS_CLICKHOUSE_ADMIN_USER")
        if not env_value(environ, name)
    ]
    if env_value(environ, "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD") is None:
        missing.append("ASPECTS_CLICKHOUSE_ADMIN_PASSWORD")
    users = []
    for service in SERVICES:
        prefix = f"ASPECTS_CLICKHOUSE_{service.upper()}"
        name = env_value(environ, f"{prefix}_USER")
        password = env_value(environ, f"{prefix}_PASSWORD")
        if name and not password:
            missing.append(f"{prefix}_PASSWORD")
        elif name:
            users.append(ServiceUser(service, name, password))
    if missing:
        raise ConfigurationError(
            "missing configuration: " + ", ".join(missing) + " (set each, or NAME_FILE)"
        )
    url = env_value(environ, "ASPECTS_CLICKHOUSE_URL")
    parse_url(url)
    schema = SchemaSettings(
        event_sink_database=env_value(environ, "ASPECTS_EVENT_SINK_DATABASE") or "event_sink",
        xapi_database=env_value(environ, "ASPECTS_XAPI_DATABASE") or "xapi",
        xapi_table=env_value(environ, "ASPECTS_XAPI_TABLE") or "xapi_events_all",
        reporting_database=env_value(environ, "ASPECTS_REPORTING_DATABASE") or "reporting",
        cluster=env_value(environ, "ASPECTS_CLICKHOUSE_CLUSTER") or "",
        pii_tables=pii_tables_from(env_value(environ, "ASPECTS_EVENT_SINK_PII_TABLES")),
    )
    return MigrateConfig(
        url=url,
        admin_user=env_value(environ, "ASPECTS_CLICKHOUSE_ADMIN_USER"),
        admin_password=env_value(environ, "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"),
        schema=schema,
        users=tuple(users),
    )


def wait_for_ping(url: str, wait_secs: float, say=print) -> None:
    """Poll ``url``/ping with exponential backoff (0.5 s doubling, max 5 s) for ``wait_secs``."""
    deadline = time.monotonic() + wait_secs
    delay, attempt = 0.5, 0
    context = ssl.create_default_context() if url.startswith("https") else None
    while True:
        attempt += 1
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/ping", timeout=5, context=context) as r:
                if r.status == 200:
                    return
        except OSError as error:
            reason = getattr(error, "reason", error)
            if time.monotonic() + delay > deadline:
                raise ConnectionError(
                    f"ClickHouse at {display_url(url)} did not answer /ping within {wait_secs:g}s "
                    f"({attempt} attempts; last error: {reason})"
                ) from None
            if attempt == 1:
                say(f"waiting for ClickHouse at {display_url(url)} ...")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def run(
    config: MigrateConfig,
    wait_secs: float = 0,
    skip_users: bool = False,
    say=print,
    adopt_established: bool = False,
):
    """Wait, (convert established tables,) apply migrations, create users/grants.

    Returns the migrations applied now.
    """
    if wait_secs:
        wait_for_ping(config.url, wait_secs, say)
    client = connect(config.url, config.admin_user, config.admin_password)
    cluster = f" on cluster {config.schema.cluster}" if config.schema.cluster else ""
    say(f"connected to ClickHouse {client.server_version} at {display_url(config.url)}{cluster}")
    applied = apply_migrations(client, config.schema, adopt_established=adopt_established, say=say)
    for migration in applied:
        say(f"applied migration {migration.version:04d}_{migration.name}")
    if not applied:
        say("schema up to date: no migration to apply")
    if skip_users:
        say("users and grants skipped (--skip-users)")
    else:
        for name in apply_users(client, list(config.users), config.schema):
            say(f"user {name}: created or updated, grants set")
    return applied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aspects_platform.clickhouse.migrate",
        description="Create ClickHouse users/grants and apply the Aspects schema migrations.",
    )
    parser.add_argument(
        "--wait", type=float, default=0, metavar="SECONDS", help="wait for /ping (default 0)"
    )
    parser.add_argument("--skip-users", action="store_true", help="do not touch users/grants")
    parser.add_argument(
        ADOPT_FLAG,
        action="store_true",
        help="convert tables of an established Aspects install to this schema (originals "
        "kept as <table>_established_backup; docs/migrating-from-established-aspects.md)",
    )
    args = parser.parse_args(argv)
    if args.wait < 0:
        parser.error("--wait must be 0 or more seconds")
    try:
        config = config_from_env()
        run(config, args.wait, args.skip_users, adopt_established=args.adopt_established)
    except (ConfigurationError, InvalidIdentifierError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (MigrationChecksumError, EstablishedSchemaError, AdoptionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - the job must end with a message, not a trace
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
