"""Declarative sinks: a ClickHouse table, its ordered columns and where each value comes from."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from aspects_platform import toggles
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.sinks.encoding import csv_bytes, utc_datetime

#: Every sink table ends with these two columns, the same for all rows of one run.
RUN_COLUMNS = ("dump_id", "time_last_dumped")


@dataclass(frozen=True)
class Column:
    """One ClickHouse column: its ``name``, the ``values_list`` lookups it reads, its encoder.

    ``source`` defaults to ``name``; a tuple of lookups passes several values to ``encode``.
    """

    name: str
    source: str | tuple[str, ...] | None = None
    encode: Callable[..., Any] | None = None

    @property
    def lookups(self) -> tuple[str, ...]:
        """The ``values_list`` lookups this column needs."""
        if self.source is None:
            return (self.name,)
        return (self.source,) if isinstance(self.source, str) else self.source


@dataclass(frozen=True)
class DumpRun:
    """Values shared by every row of one run: ``dump_id`` and ``time_last_dumped``."""

    dump_id: str
    time_last_dumped: str

    @classmethod
    def start(cls) -> DumpRun:
        """A new run, timed now."""
        return cls(str(uuid.uuid4()), utc_datetime(datetime.now(UTC)))

    @property
    def values(self) -> tuple[str, str]:
        """The two RUN_COLUMNS values."""
        return (self.dump_id, self.time_last_dumped)


def get_model(object_name: str):
    """The Django model configured for ``object_name`` in EVENT_SINK_CLICKHOUSE_MODEL_CONFIG."""
    config = getattr(settings, "EVENT_SINK_CLICKHOUSE_MODEL_CONFIG", {}).get(object_name)
    if not config:
        raise ImproperlyConfigured(
            f"EVENT_SINK_CLICKHOUSE_MODEL_CONFIG has no entry for {object_name!r} "
            '(expected {"module": ..., "model": ...})'
        )
    try:
        return getattr(importlib.import_module(config["module"]), config["model"])
    except (ImportError, AttributeError) as exc:
        raise ImproperlyConfigured(
            f"EVENT_SINK_CLICKHOUSE_MODEL_CONFIG[{object_name!r}] = {config!r} "
            f"cannot be imported: {exc}"
        ) from exc


class ModelSink:
    """Writes rows of one Django model to one ClickHouse table.

    Subclasses declare ``object_name`` (MODEL_CONFIG key, switch and ``--object`` name),
    ``table`` and ``columns``. Rows are read with ``values_list`` (no model instances), encoded
    with cheap per-value functions and sent as CSV naming every column.
    """

    object_name: ClassVar[str]
    table: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    pk_type: ClassVar[type] = int

    def __init__(self) -> None:
        lookups: list[str] = []
        for column in self.columns:
            for lookup in column.lookups:
                if lookup not in lookups:
                    lookups.append(lookup)
        self.lookups = tuple(lookups)
        self._direct = (
            all(len(c.lookups) == 1 for c in self.columns)
            and [c.lookups[0] for c in self.columns] == lookups
        )
        # (position in the raw row, encoder); raw rows start with the primary key.
        self._encoders = [
            (index + 1, column.encode)
            for index, column in enumerate(self.columns)
            if column.encode is not None
        ]
        self._positions = [
            tuple(lookups.index(lookup) + 1 for lookup in column.lookups) for column in self.columns
        ]

    # --- configuration -------------------------------------------------------------------
    @classmethod
    def column_names(cls) -> list[str]:
        """Every column this sink writes, in order (RUN_COLUMNS last)."""
        return [c.name for c in cls.columns] + list(RUN_COLUMNS)

    @classmethod
    def is_enabled(cls) -> bool:
        """True when the sink's setting or waffle flag is on."""
        return toggles.is_enabled(cls.object_name)

    @classmethod
    def is_pii(cls) -> bool:
        """True when the object is listed in EVENT_SINK_CLICKHOUSE_PII_MODELS."""
        return cls.object_name in getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_MODELS", [])

    def model(self):
        """The Django model this sink reads."""
        return get_model(self.object_name)

    def parse_pk(self, value: Any) -> Any:
        """A primary key given on the command line, as the model's key type."""
        return self.pk_type(value)

    # --- reading ---------------------------------------------------------------------------
    def queryset(self):
        """Every object of the model (subclasses may narrow it)."""
        return self.model()._default_manager.all()

    def values(self, queryset) -> Any:
        """``values_list`` rows: the primary key, then ``self.lookups``."""
        return queryset.values_list("pk", *self.lookups)

    # --- encoding and writing --------------------------------------------------------------
    def encode_rows(self, raw_rows: Iterable[Sequence[Any]], run: DumpRun) -> list[Sequence[Any]]:
        """Rows ready for CSV, in ``column_names()`` order (raw rows start with the pk)."""
        suffix = run.values
        if self._direct and not self._encoders:
            return [tuple(row[1:]) + suffix for row in raw_rows]
        if self._direct:
            encoders = self._encoders
            out = []
            for raw in raw_rows:
                row = list(raw)
                for index, encode in encoders:
                    row[index] = encode(row[index])
                del row[0]
                row.extend(suffix)
                out.append(row)
            return out
        return [self._encode_general(raw) + suffix for raw in raw_rows]

    def _encode_general(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        values = []
        for column, positions in zip(self.columns, self._positions, strict=True):
            args = [raw[p] for p in positions]
            values.append(column.encode(*args) if column.encode else args[0])
        return tuple(values)

    def qualified_table(self, database: str) -> str:
        """Back-quoted ``database.table``."""
        return f"{quote_identifier(database, 'database')}.{quote_identifier(self.table, 'table')}"

    def insert(self, client, database: str, rows: Sequence[Sequence[Any]]) -> int:
        """INSERT encoded rows (one statement, columns named); returns the row count."""
        if rows:
            client.raw_insert(
                self.qualified_table(database),
                self.column_names(),
                csv_bytes(rows),
                fmt="CSV",
            )
        return len(rows)

    def prepare(self, raw_rows: Sequence[Sequence[Any]], run: DumpRun) -> Any:
        """Everything ``write`` needs from the LMS, read now (runs where the database is used).

        The bulk dump calls it in the reading thread, so ``write`` never touches the database.
        """
        return raw_rows

    def write(self, client, database: str, prepared: Any, run: DumpRun) -> int:
        """Encode and write a prepared batch; returns the number of objects written."""
        return self.insert(client, database, self.encode_rows(prepared, run))

    def dump_pks(
        self, client, database: str, pks: Sequence[Any], run: DumpRun | None = None
    ) -> int:
        """Read the objects with these primary keys and write them; returns rows written."""
        raw = list(self.values(self.queryset().filter(pk__in=list(pks)).order_by("pk")))
        run = run or DumpRun.start()
        return self.write(client, database, self.prepare(raw, run), run)
