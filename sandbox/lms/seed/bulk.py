"""Fast inserts of plain tuples into a model's table (no model instances, no signals)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, models, transaction


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """INSERT ``rows`` (values in ``fields`` order) into ``model``'s table in one transaction.

    Column names come from the model's own metadata and are quoted by the database backend;
    values are always bound parameters. Like ``bulk_create``, no signal is sent.
    """
    opts = model._meta
    columns = [opts.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {quote(opts.db_table)} "  # noqa: S608 - identifiers from model metadata
        f"({', '.join(quote(c) for c in columns)}) VALUES ({placeholders})"
    )
    rows = list(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def db_datetime(value: datetime | None) -> str | None:
    """A datetime as the database stores it (what ``insert_rows`` needs for datetime columns)."""
    return connection.ops.adapt_datetimefield_value(value)


def next_id(model: type[models.Model]) -> int:
    """1 + the highest primary key of ``model`` (1 when empty)."""
    highest = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (highest or 0) + 1
