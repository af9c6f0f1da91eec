"""The chdb engine behind the HTTP server: one connection, one statement at a time.

chdb allows one active statement per connection (a streaming insert blocks everything else),
so every call holds a process-wide lock. Bound parameters are handed to chdb, which binds them
exactly as a server does (values in the escaped text form that clickhouse-connect sends).
"""

import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import chdb

from .errors import ClickHouseError
from .protocol import is_read_only

DEFAULT_DATABASE = "default"
#: Server settings (``system.query_log``, as a ClickHouse server has by default).
CONFIG_FILE = Path(__file__).with_name("config.xml")
#: Session defaults where chdb differs from a ClickHouse server (chdb waits for mutations).
SERVER_DEFAULTS = {"mutations_sync": "0"}
#: ``INSERT INTO [db.]table [(columns)]`` as clickhouse-connect and the sinks write it.
INSERT_HEAD = re.compile(
    r"^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(?:(?P<db>`[^`]+`|\w+)\.)?(?P<table>`[^`]+`|\w+)"
    r"\s*(?:\((?P<columns>[^)]*)\))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith("`") else name


@dataclass
class Summary:
    """What ``X-ClickHouse-Summary`` reports."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    elapsed_ns: int = 0

    def header(self) -> str:
        """The JSON object ClickHouse sends (every value a string)."""
        fields = {
            "read_rows": self.read_rows,
            "read_bytes": self.read_bytes,
            "written_rows": self.written_rows,
            "written_bytes": self.written_bytes,
            "total_rows_to_read": self.read_rows,
            "result_rows": self.result_rows,
            "result_bytes": self.result_bytes,
            "elapsed_ns": self.elapsed_ns,
        }
        return "{" + ",".join(f'"{k}":"{v}"' for k, v in fields.items()) + "}"


class Engine:
    """The ClickHouse engine with its data in ``path`` (persistent across restarts)."""

    def __init__(self, path: str):
        self._connection = chdb.connect(f"file:{path}?config-file={CONFIG_FILE}")
        self._lock = threading.Lock()
        self._database = DEFAULT_DATABASE
        for name, value in SERVER_DEFAULTS.items():
            self._raw(f"SET `{name}` = {quote(value)}")
        self._defaults = self._setting_defaults()
        #: Settings the connection holds that differ from the defaults (name -> value).
        self._changed: dict[str, str] = {}
        #: (database, INSERT head) -> the structure ``_structure_if_viewed`` found; emptied by
        #: any statement that is not read-only (it may have created or dropped a view).
        self._viewed: dict[tuple[str, str], str | None] = {}

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _raw(self, sql: str, fmt: str = "TabSeparated", params: dict | None = None):
        """Run through chdb's low-level query: raw bytes in any format, plus row/byte counts."""
        try:
            return self._connection._conn.query(sql, fmt, params=params or {})
        except RuntimeError as error:
            raise ClickHouseError.from_engine(error) from None

    def _setting_defaults(self) -> dict[str, str]:
        text = self._raw("SELECT name, value FROM system.settings", "TSVRaw").bytes()
        pairs = (line.split("\t", 1) for line in text.decode().splitlines() if "\t" in line)
        return dict(pairs)

    def _enter(self, database: str, settings: dict[str, str]) -> None:
        """Switch database; make the connection's settings the defaults plus ``settings``.

        Only what differs from the previous request is SET (a client sends the same settings
        with every request), so each statement still runs with exactly its own settings.
        """
        unknown = sorted(name for name in settings if name not in self._defaults)
        if unknown:
            raise ClickHouseError(115, f"Unknown setting '{unknown[0]}'")
        if database != self._database:
            self._raw(f"USE `{database}`")
            self._database = database
        wanted = {**{name: self._defaults[name] for name in self._changed}, **settings}
        for name, value in wanted.items():
            if self._changed.get(name, self._defaults[name]) == value:
                continue
            self._raw(f"SET `{name}` = {quote(value)}")
            if value == self._defaults[name]:
                self._changed.pop(name, None)
            else:
                self._changed[name] = value

    def query(
        self, sql: str, fmt: str, params: dict[str, str], database: str, settings: dict[str, str]
    ) -> tuple[bytes, Summary]:
        """Run one statement; return its output in ``fmt`` (unless it has a FORMAT clause)."""
        with self._lock:
            self._enter(database, settings)
            if not is_read_only(sql):
                self._viewed.clear()
            result = self._raw(sql, fmt, params)
        body = result.bytes() or b""
        summary = Summary(
            read_rows=result.rows_read(),
            read_bytes=result.bytes_read(),
            written_rows=result.rows_written(),
            written_bytes=result.bytes_written(),
            result_bytes=len(body),
            elapsed_ns=int(result.elapsed() * 1e9),
        )
        return body, summary

    def _structure_if_viewed(self, head: str) -> str | None:
        """The target's ``name type, ...`` when materialized views read it, else None.

        chdb's streaming insert does not run a table's materialized views (a ClickHouse server
        does): such inserts go through ``INSERT ... SELECT FROM file()``, which runs them.
        Kept until the next statement that may change the schema (two system-table reads per
        insert were a quarter of the engine's time under the xAPI pipeline).
        """
        key = (self._database, head)
        if key not in self._viewed:
            self._viewed[key] = self._find_structure_if_viewed(head)
        return self._viewed[key]

    def _find_structure_if_viewed(self, head: str) -> str | None:
        match = INSERT_HEAD.match(head)
        if not match:
            return None
        database = _unquote(match["db"]) if match["db"] else self._database
        table = _unquote(match["table"])
        where = {"d": database, "t": table}
        viewed = self._raw(
            "SELECT length(dependencies_table) FROM system.tables "
            "WHERE database = {d:String} AND name = {t:String}",
            "TSVRaw",
            where,
        ).bytes()
        if not viewed.strip() or int(viewed) == 0:
            return None
        text = self._raw(
            "SELECT name, type FROM system.columns WHERE database = {d:String} "
            "AND table = {t:String} ORDER BY position",
            "TSVRaw",
            where,
        ).bytes()
        types = dict(line.split("\t", 1) for line in text.decode().splitlines())
        listed = [_unquote(c.strip()) for c in (match["columns"] or "").split(",") if c.strip()]
        return ", ".join(f"`{name}` {types[name]}" for name in listed or types)

    def _insert_through_file(
        self, head: str, fmt: str, chunks: Iterable[bytes], structure: str
    ) -> Summary:
        handle, path = tempfile.mkstemp(prefix="aspects-insert-")
        try:
            with os.fdopen(handle, "wb") as spool:
                for chunk in chunks:
                    spool.write(chunk)
            # The head is the client's own INSERT; the rest are quoted literals.
            source = f"file({quote(path)}, {quote(fmt)}, {quote(structure)})"
            result = self._raw(f"{head} SELECT * FROM {source}")  # noqa: S608
        finally:
            os.unlink(path)
        return Summary(
            written_rows=result.rows_written(),
            written_bytes=result.bytes_written(),
            elapsed_ns=int(result.elapsed() * 1e9),
        )

    def insert(
        self,
        head: str,
        fmt: str,
        chunks: Iterable[bytes],
        database: str,
        settings: dict[str, str],
    ) -> Summary:
        """Stream ``chunks`` (data in format ``fmt``) into ``head`` (``INSERT INTO t (cols)``)."""
        with self._lock:
            self._enter(database, settings)
            structure = self._structure_if_viewed(head)
            if structure is not None:
                return self._insert_through_file(head, fmt, chunks, structure)
            try:
                inserter = self._connection.send_insert(head, fmt)
            except RuntimeError as error:
                raise ClickHouseError.from_engine(error) from None
            try:
                for chunk in chunks:
                    if chunk:
                        inserter.append(chunk)
                result = inserter.finish()
            except RuntimeError as error:
                inserter.cancel()
                raise ClickHouseError.from_engine(error) from None
            except BaseException:
                inserter.cancel()
                raise
        return Summary(
            written_rows=result.rows_written,
            written_bytes=result.bytes_written,
            elapsed_ns=int(result.elapsed * 1e9),
        )


def quote(value: str) -> str:
    """A ClickHouse string literal for a setting value (settings cannot be bound parameters)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
