"""Turn Python values into a ClickHouse ``JSONCompactColumns`` body.

One ``json.dumps`` call per batch (C speed): ``[[column 1 values], [column 2 values], ...]``.
JSON keeps every string exact (quotes, newlines, tabs, backslashes, emoji, right-to-left
text) and ``null`` is NULL for Nullable columns and the column default ('') for the others.
Objects JSON does not know (course keys, UUIDs, decimals) are written as their text.
"""

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

FORMAT = "JSONCompactColumns"


def naive_utc(value: datetime | None) -> datetime | None:
    """``value`` as a naive UTC datetime (naive values are taken to be UTC already)."""
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def utc_datetime(value: datetime | date | None) -> str | None:
    """``DateTime64(6, 'UTC')`` text ('YYYY-MM-DD hh:mm:ss.ffffff'); naive values are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return naive_utc(value).isoformat(" ", "microseconds")
    return f"{value.isoformat()} 00:00:00.000000"


def boolean(value: Any) -> bool:
    """Bool column (NULL counts as false; 0/1 from databases without a boolean type)."""
    return bool(value)


def json_text(value: Any) -> str:
    """JSON string column (datetimes as UTC text, other objects as their text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return utc_datetime(value)
    return str(value)


def columns_body(columns: Sequence[Sequence[Any]]) -> bytes:
    """The ``JSONCompactColumns`` body for these columns (UTF-8)."""
    return json.dumps(columns, separators=(",", ":"), default=str).encode("ascii")
