"""How a ClickHouse HTTP request is read: query text, format, parameters, settings, INSERT data."""

import re
from dataclasses import dataclass, field

# URL parameters that steer the HTTP layer rather than the query; accepted and ignored.
TRANSPORT_PARAMS = frozenset(
    {
        "query", "database", "default_format", "user", "password", "query_id", "quota_key",
        "session_id", "session_timeout", "session_check", "compress", "decompress",
        "buffer_size", "wait_end_of_query", "enable_http_compression",
        "http_zlib_compression_level", "send_progress_in_http_headers",
        "http_headers_progress_interval_ms", "cancel_http_readonly_queries_on_client_close",
        "http_native_compression_disable_checksumming_on_decompress", "client_protocol_version",
        "role", "http_response_buffer_size", "readonly", "http_write_exception_in_output_format",
    }
)  # fmt: skip

INSERT_WITH_FORMAT = re.compile(
    rb"^\s*(INSERT\s+INTO\s.*?)\s+FORMAT\s+([A-Za-z0-9_]+)[ \t]*(?:\r?\n|$)", re.I | re.S
)
TRAILING_FORMAT = re.compile(r"\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$", re.I)
READ_ONLY_START = re.compile(r"^\s*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN|CHECK)\b", re.I)

CONTENT_TYPES = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "CSVWithNames": "text/csv; charset=UTF-8; header=present",
    "JSON": "application/json; charset=UTF-8",
    "JSONCompact": "application/json; charset=UTF-8",
    "JSONEachRow": "application/x-ndjson; charset=UTF-8",
    "Native": "application/octet-stream",
    "RowBinary": "application/octet-stream",
    "RowBinaryWithNamesAndTypes": "application/octet-stream",
    "Arrow": "application/octet-stream",
    "Parquet": "application/octet-stream",
}


@dataclass
class Request:
    """The query-level view of one HTTP request."""

    url_query: str
    database: str
    default_format: str
    params: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    query_id: str = ""


def parse_params(pairs: list[tuple[str, str]]) -> Request:
    """Split URL parameters into query, ``param_*`` bindings and settings."""
    values = dict(pairs)
    params = {k[len("param_") :]: v for k, v in pairs if k.startswith("param_")}
    settings = {k: v for k, v in pairs if k not in TRANSPORT_PARAMS and not k.startswith("param_")}
    return Request(
        url_query=values.get("query", ""),
        database=values.get("database", "") or "default",
        default_format=values.get("default_format", "") or "TabSeparated",
        params=params,
        settings=settings,
        query_id=values.get("query_id", ""),
    )


def split_insert(text: bytes) -> tuple[str, str, bytes] | None:
    """For ``INSERT INTO t (...) FORMAT X<newline>data``: (head, format, data); else None."""
    stripped = strip_comments_bytes(text)
    match = INSERT_WITH_FORMAT.match(stripped)
    if not match:
        return None
    return match.group(1).decode("utf-8"), match.group(2).decode(), stripped[match.end() :]


def strip_comments_bytes(text: bytes) -> bytes:
    """Drop leading ``--`` and ``/* */`` comments (so detection sees the first keyword)."""
    while True:
        stripped = text.lstrip()
        if stripped.startswith(b"--"):
            newline = stripped.find(b"\n")
            text = b"" if newline < 0 else stripped[newline + 1 :]
        elif stripped.startswith(b"/*") and b"*/" in stripped:
            text = stripped[stripped.index(b"*/") + 2 :]
        else:
            return text


def output_format(query: str, default_format: str) -> str:
    """The format the answer is written in: the query's FORMAT clause, else default_format."""
    match = TRAILING_FORMAT.search(query)
    return match.group(1) if match else default_format


def is_read_only(query: str) -> bool:
    """Whether a GET may run it (ClickHouse runs GET requests read-only)."""
    return bool(READ_ONLY_START.match(strip_comments_bytes(query.encode()).decode()))


def content_type(fmt: str) -> str:
    return CONTENT_TYPES.get(fmt, "text/plain; charset=UTF-8")
