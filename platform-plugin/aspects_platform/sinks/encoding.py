"""Turn Python values into ClickHouse CSV fields (``csv.QUOTE_NONNUMERIC`` + an explicit NULL).

Every string is quoted, so ``\\N`` or an empty string in a bio stays a string; numbers and
booleans are written bare; ``NULL`` is written as the bare ``\\N`` ClickHouse reads as NULL.
"""

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any


class _Null(float):
    """A number-like sentinel, so ``QUOTE_NONNUMERIC`` writes it bare, as ``\\N``."""

    def __str__(self) -> str:
        return "\\N"

    __repr__ = __str__


NULL = _Null()


def text(value: Any) -> str:
    """String column from a nullable text field: NULL becomes ''."""
    return "" if value is None else str(value)


def nullable(value: Any) -> Any:
    """Nullable column: None becomes NULL, anything else is written as it is."""
    return NULL if value is None else value


def utc_datetime(value: datetime | date | None) -> Any:
    """``DateTime64(6, 'UTC')`` text ('YYYY-MM-DD hh:mm:ss.ffffff'); None becomes NULL."""
    if value is None:
        return NULL
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")
    return f"{value.isoformat()} 00:00:00.000000"


def boolean(value: Any) -> int:
    """Bool column: 1 or 0 (NULL counts as false)."""
    return 1 if value else 0


def json_text(value: Any) -> str:
    """JSON string column (datetimes as UTC ISO-8601, other objects as their text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_datetime(value)
    return str(value)


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Encode rows as ClickHouse-readable CSV (UTF-8)."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
