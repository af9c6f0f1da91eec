"""Declarative sinks: a ClickHouse table, its ordered columns and where each value comes from."""

from __future__ import annotations

import importlib
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from aspects_platform import toggles
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.sinks import retired_users
from aspects_platform.sinks.encoding import FORMAT, columns_body, utc_datetime

#: Every sink table ends with these two columns: the run, and the row's version.
RUN_COLUMNS = ("dump_id", "time_last_dumped")

_clock_lock = threading.Lock()
_last_version = datetime.min.replace(tzinfo=UTC)


def version_now() -> datetime:
    """Now (UTC), strictly after every value this process returned before (+1 µs if needed).

    ``DateTime64(6)`` keeps microseconds: two reads in the same microsecond still get two
    versions, in the order they were taken.
    """
    global _last_version
    with _clock_lock:
        now = datetime.now(UTC)
        if now <= _last_version:
            now = _last_version + timedelta(microseconds=1)
        _last_version = now
        return now


@dataclass(frozen=True)
class Column:
    """One ClickHouse column: its ``name``, the ``values_list`` lookups it reads, its encoder.

    ``source`` defaults to ``name``; a tuple of lookups passes several values to ``encode``.
    Without ``encode`` the database value is written as it is.
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
    """One run (``dump_id``) and the version its rows get (``time_last_dumped``).

    The version is the time the rows were READ from the LMS, taken just before the SELECT
    (``read_now``), so of two writers of the same row the one that read later, and therefore
    saw newer-or-equal state, wins in the ``ReplacingMergeTree(time_last_dumped)`` tables.
    """

    dump_id: str
    time_last_dumped: str

    @classmethod
    def start(cls) -> DumpRun:
        """A new run, versioned now."""
        return cls(str(uuid.uuid4()), utc_datetime(version_now()))

    def read_now(self) -> DumpRun:
        """The same run, versioned now: call it just before reading rows from the LMS."""
        return replace(self, time_last_dumped=utc_datetime(version_now()))


def pii_enabled() -> bool:
    """The operator's PII switch, ``EVENT_SINK_CLICKHOUSE_PII_ENABLED`` (off by default)."""
    return bool(getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_ENABLED", False))


def get_model(object_name: str, default: dict[str, str] | None = None):
    """The Django model configured for ``object_name`` in EVENT_SINK_CLICKHOUSE_MODEL_CONFIG.

    ``default`` (``{"module", "model"}``) is used when the setting has no such entry.
    """
    config = getattr(settings, "EVENT_SINK_CLICKHOUSE_MODEL_CONFIG", {}).get(object_name) or default
    if not config:
        raise ImproperlyConfigured(
            f"EVENT_SINK_CLICKHOUSE_MODEL_CONFIG has no entry for {object_name!r} "
            '(expected {"module": ..., "model": ...})'
        )
    try:
        return getattr(importlib.import_module(config["module"]), config["model"])
    except (ImportError, AttributeError, KeyError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"EVENT_SINK_CLICKHOUSE_MODEL_CONFIG[{object_name!r}] = {config!r} "
            f"cannot be imported: {exc}"
        ) from exc


def fetch_rows(queryset) -> list[tuple]:
    """Run a ``values_list`` queryset and return the database's rows as they come.

    Same SQL as iterating the queryset, without Django's per-value converters: the sinks'
    encoders normalise what differs between databases (naive/aware datetimes, 0/1 booleans,
    UUIDs as hex). Two to three times faster for bulk reads.
    """
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class ModelSink:
    """Writes rows of one Django model to one ClickHouse table.

    Subclasses declare ``object_name`` (MODEL_CONFIG key, switch and ``--object`` name),
    ``table`` and ``columns``. Rows are read with ``values_list`` (no model instances), encoded
    column by column and sent in one INSERT per batch that names every column.
    """

    object_name: ClassVar[str]
    table: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    pk_type: ClassVar[type] = int
    #: The model's foreign key to the user, if any (PII rows of retired users are never read).
    user_field: ClassVar[str | None] = None

    def __init__(self) -> None:
        lookups: list[str] = []
        for column in self.columns:
            for lookup in column.lookups:
                if lookup not in lookups:
                    lookups.append(lookup)
        self.lookups = tuple(lookups)
        # Per column: (positions of its lookups in a row, encoder).
        self._plan = [
            (tuple(lookups.index(lookup) for lookup in column.lookups), column.encode)
            for column in self.columns
        ]
        self._select: tuple[str, ...] | None = None
        self.pk_index: int | None = None  # resolved by the first fetch

    # --- configuration -------------------------------------------------------------------
    @classmethod
    def column_names(cls) -> list[str]:
        """Every column this sink writes, in order (RUN_COLUMNS last)."""
        return [c.name for c in cls.columns] + list(RUN_COLUMNS)

    @classmethod
    def is_enabled(cls) -> bool:
        """True when the sink's setting or waffle flag is on (PII sinks: only with PII on).

        With ``EVENT_SINK_CLICKHOUSE_PII_ENABLED`` off, no setting or waffle flag can turn on a
        sink listed in ``EVENT_SINK_CLICKHOUSE_PII_MODELS``.
        """
        if cls.is_pii() and not pii_enabled():
            return False
        return toggles.is_enabled(cls.object_name)

    @classmethod
    def is_pii(cls) -> bool:
        """True when the object is listed in EVENT_SINK_CLICKHOUSE_PII_MODELS."""
        return cls.object_name in getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_MODELS", [])

    @classmethod
    def skips_retired_users(cls) -> bool:
        """True for PII sinks whose rows belong to a user: retired users are left out."""
        return cls.user_field is not None and cls.is_pii()

    def model(self):
        """The Django model this sink reads."""
        return get_model(self.object_name)

    def parse_pk(self, value: Any) -> Any:
        """A primary key given on the command line, as the model's key type."""
        return self.pk_type(value)

    # --- reading ---------------------------------------------------------------------------
    def queryset(self):
        """Every object of the model; for PII sinks, without the rows of retired users."""
        queryset = self.model()._default_manager.all()
        if self.skips_retired_users():
            queryset = retired_users.exclude_retired(queryset, self.user_field)
        return queryset

    def retired_user_ids(self, pks: Sequence[Any]) -> list[int]:
        """Users of the objects ``pks`` who are now retired (sinks with a user only)."""
        if self.user_field is None:
            return []
        lookup = f"{self.user_field}_id"
        objects = self.model()._default_manager.filter(pk__in=list(pks))
        retired = objects.filter(retired_users.retired(self.user_field))
        return sorted(set(retired.values_list(lookup, flat=True)))

    def resolve_pk_index(self, model) -> int:
        """Where the primary key is in fetched rows (appended when no column reads it)."""
        if self._select is None:
            pk_name = model._meta.pk.name
            if pk_name in self.lookups:
                self._select, self.pk_index = self.lookups, self.lookups.index(pk_name)
            else:
                self._select, self.pk_index = (*self.lookups, "pk"), len(self.lookups)
        return self.pk_index

    def values(self, queryset):
        """``values_list`` of ``self.lookups``, plus the primary key when not among them."""
        self.resolve_pk_index(queryset.model)
        return queryset.values_list(*self._select)

    def fetch(self, queryset) -> list[tuple]:
        """Raw rows of ``values(queryset)`` (see ``fetch_rows``)."""
        return fetch_rows(self.values(queryset))

    def pk_of(self, row: Sequence[Any]) -> Any:
        """The primary key of a fetched row."""
        return row[self.pk_index]

    # --- encoding and writing --------------------------------------------------------------
    def encode(self, rows: Sequence[Sequence[Any]], run: DumpRun) -> bytes:
        """The INSERT body for ``rows``: one list per column, in ``column_names()`` order."""
        count = len(rows)
        # One values_list query: every row has the same length (``write`` never encodes none).
        fetched = list(zip(*rows))  # noqa: B905
        columns: list[Sequence[Any]] = []
        for positions, encode in self._plan:
            if len(positions) == 1:
                values = fetched[positions[0]]
                columns.append(list(map(encode, values)) if encode else values)
            else:
                columns.append(list(map(encode, *(fetched[p] for p in positions))))
        columns.append([run.dump_id] * count)
        columns.append([run.time_last_dumped] * count)
        return columns_body(columns)

    def qualified_table(self, database: str) -> str:
        """Back-quoted ``database.table``."""
        return f"{quote_identifier(database, 'database')}.{quote_identifier(self.table, 'table')}"

    def insert(self, client, database: str, body: bytes) -> None:
        """One INSERT naming every column."""
        client.raw_insert(self.qualified_table(database), self.column_names(), body, fmt=FORMAT)

    def prepare(self, rows: Sequence[Sequence[Any]], run: DumpRun) -> Any:
        """Everything ``write`` needs from the LMS, read now (runs where the database is used).

        The bulk dump calls it in the reading thread, so ``write`` never touches the database.
        """
        return rows

    def write(self, client, database: str, prepared: Any, run: DumpRun) -> int:
        """Encode and write a prepared batch; returns the number of objects written."""
        if prepared:
            self.insert(client, database, self.encode(prepared, run))
        return len(prepared)

    def dump_pks(
        self, client, database: str, pks: Sequence[Any], run: DumpRun | None = None
    ) -> int:
        """Read the objects with these primary keys and write them; returns rows written.

        The version is taken just before the read (``DumpRun.read_now``).
        """
        run = run.read_now() if run is not None else DumpRun.start()
        rows = self.fetch(self.queryset().filter(pk__in=list(pks)).order_by("pk"))
        return self.write(client, database, self.prepare(rows, run), run)
