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
        3,  # UNEXPECTED_END_OF_FILE (connection cut mid-request)
        159,  # TIMEOUT_EXCEEDED
        160,  # TOO_SLOW
        164,  # READONLY (e.g. replica in read-only mode)
        198,  # DNS_ERROR
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        225,  # NO_ZOOKEEPER
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        285,  # TOO_FEW_LIVE_REPLICAS
        286,  # UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
        319,  # UNKNOWN_STATUS_OF_INSERT
        394,  # QUERY_WAS_CANCELLED
        415,  # ALL_REPLICAS_LOST
        425,  # SYSTEM_ERROR
        439,  # CANNOT_SCHEDULE_TASK
        999,  # KEEPER_EXCEPTION
        1000,  # POCO_EXCEPTION
    }
)
#: The ClickHouse error code in a message, in every clickhouse-connect release's wording:
#: the server's "Code: 252. DB::Exception", 1.x "exception, code: 252", 0.8 "error code 252".
ERROR_CODE_PATTERN = re.compile(r"\b(?:code:|error code)\s*(\d+)", re.IGNORECASE)
#: The HTTP status in a message: 1.x "HTTP status 502", 0.8 "returned response code 502".
HTTP_STATUS_PATTERN = re.compile(r"\b(?:HTTP status|response code)\s*(\d{3})\b")


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


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code of ``exc``: its ``code`` attribute, else parsed from the text."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    found = ERROR_CODE_PATTERN.search(str(exc))
    return int(found.group(1)) if found else None


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
    code = error_code(exc)
    if code is not None:
        return code in TRANSIENT_ERROR_CODES
    status = HTTP_STATUS_PATTERN.search(str(exc))
    if status:
        return int(status.group(1)) >= 500
    # No ClickHouse error code and no HTTP status: the request never got an answer.
    return isinstance(exc, OperationalError)
