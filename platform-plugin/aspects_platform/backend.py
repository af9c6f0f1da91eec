"""ClickHouse connection settings for the sinks, and which failures are worth retrying."""

import re
import socket
from typing import Any

from django.conf import settings

from aspects_platform.clickhouse.connection import connect
from aspects_platform.clickhouse.identifiers import quote_identifier, validate_identifier

CONNECTION_KEYS = ("url", "username", "password", "database", "timeout_secs")

#: ClickHouse error codes that mean "try again later", not "this data is wrong".
TRANSIENT_ERROR_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        160,  # TOO_SLOW
        164,  # READONLY (e.g. replica in read-only mode)
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        252,  # TOO_MANY_PARTS
        425,  # SYSTEM_ERROR
        999,  # KEEPER_EXCEPTION
    }
)
HTTP_STATUS_PATTERN = re.compile(r"HTTP status (\d{3})")


def backend_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """``EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG`` with every non-empty override applied."""
    config = dict(settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG)
    for key, value in (overrides or {}).items():
        if value not in (None, ""):
            config[key] = value
    return config


def database_name(config: dict[str, Any]) -> str:
    """The validated, back-quoted event sink database (for SQL built by the sinks)."""
    return quote_identifier(config["database"], "database")


def cluster_name(config: dict[str, Any]) -> str:
    """The validated ``cluster`` of the config ("" when ClickHouse is a single node)."""
    cluster = config.get("cluster") or ""
    if cluster:
        validate_identifier(cluster, "cluster")
    return cluster


def get_client(config: dict[str, Any]):
    """Open one clickhouse-connect client for ``config`` (raises if unreachable)."""
    quote_identifier(config["database"], "database")
    return connect(
        url=config["url"],
        username=config["username"],
        password=config["password"],
        database=config["database"],
        timeout_secs=float(config.get("timeout_secs") or 5),
    )


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` means ClickHouse is unreachable or overloaded (retry), not bad data.

    Connection failures and HTTP 5xx are transient; ClickHouse's 4xx answers (parse errors,
    unknown table or column, authentication) are not: retrying cannot fix them.
    """
    from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
        return True
    if not isinstance(exc, DatabaseError):
        return False
    code = getattr(exc, "code", None)
    if code is not None:
        return int(code) in TRANSIENT_ERROR_CODES
    status = HTTP_STATUS_PATTERN.search(str(exc))
    if status:
        return int(status.group(1)) >= 500
    # No ClickHouse error code and no HTTP status: the request never got an answer.
    return isinstance(exc, OperationalError)
