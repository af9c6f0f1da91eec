"""Each table the migrations define: columns, engine, sorting key, DDL, creating migration.

Built on the replay in ``expected_schema`` (columns) and on the last ``CREATE TABLE``
with a column list of each table (engine, ``ORDER BY`` and the DDL to build it again under
another name, e.g. to convert an established table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aspects_platform.clickhouse.expected_schema import (
    CREATE,
    Columns,
    Table,
    apply_statement,
    qualified,
)
from aspects_platform.clickhouse.sqltext import parenthesised

from .identifiers import quote_identifier
from .schema import Migration, SchemaSettings

ENGINE_NAME = re.compile(r"ENGINE\s*=\s*(\w+)", re.IGNORECASE)
ORDER_BY = re.compile(
    r"ORDER\s+BY\s+(.+?)(?=\s+(?:PARTITION\s+BY|PRIMARY\s+KEY|SAMPLE\s+BY|TTL|SETTINGS|AS)\b|$)",
    re.IGNORECASE | re.DOTALL,
)
AS_SELECT = re.compile(r"\s+AS\s+SELECT\b", re.IGNORECASE)
#: One state of a table: ((column, type), ...), engine, normalised sorting key.
Version = tuple[tuple[tuple[str, str], ...], str, str]


def normalise_key(key: str) -> str:
    """A sorting key without parentheses, back-quotes or spaces: ``(a, `b`)`` -> ``a,b``."""
    return re.sub(r"[()`\s]", "", key)


@dataclass(frozen=True)
class TableDefinition:
    """One table as the migrations leave it."""

    database: str
    table: str
    columns: Columns
    engine: str
    sorting_key: str
    #: Column list and engine clause (from the opening parenthesis), without ``AS SELECT``.
    body: str
    #: Version of the first migration that creates the table.
    created_by: int
    #: Every state the migrations leave it in, statement after statement (the last is this
    #: definition): a run that stopped half-way leaves one of them.
    versions: tuple[Version, ...] = ()

    def create_statement(self, name: str, settings: SchemaSettings) -> str:
        """``CREATE TABLE`` of this definition under ``name`` (same database)."""
        target = f"{quote_identifier(self.database)}.{quote_identifier(name)}"
        return f"CREATE TABLE {target} {settings.on_cluster} {self.body}"


def _parts(statement: str, body_start: int) -> tuple[str, str, str]:
    """(body, engine, sorting key) of a CREATE statement whose column list opens at body_start."""
    columns = parenthesised(statement, body_start)
    rest = statement[body_start + len(columns) + 1 :]
    cut = AS_SELECT.search(rest)
    rest = rest[: cut.start()] if cut else rest
    engine = ENGINE_NAME.search(rest)
    order = ORDER_BY.search(rest)
    return (
        f"({columns}){rest}",
        engine.group(1) if engine else "",
        normalise_key(order.group(1)) if order else "",
    )


def table_definitions(
    migrations: list[Migration], settings: SchemaSettings
) -> dict[Table, TableDefinition]:
    """Every table (with a column list) the migrations leave, for ``settings``' names, with
    each state it passes through on the way (``versions``)."""
    created: dict[Table, int] = {}
    latest: dict[Table, tuple[str, str, str]] = {}
    versions: dict[Table, list[Version]] = {}
    tables: dict[Table, Columns] = {}
    for migration in migrations:
        for statement in migration.statements(settings):
            match = CREATE.match(statement.strip())
            if match is not None:
                table = qualified(match["name"], settings.event_sink_database)
                if not (match["if_not"] and table in tables):
                    created.setdefault(table, migration.version)
                    latest[table] = _parts(statement.strip(), match.end())
            apply_statement(tables, statement, settings.event_sink_database)
            for table, columns in tables.items():
                if table in latest:
                    version = (tuple(columns.items()), *latest[table][1:])
                    if version not in versions.setdefault(table, []):
                        versions[table].append(version)
    definitions = {}
    for table, columns in tables.items():
        if table in latest:
            body, engine, key = latest[table]
            definitions[table] = TableDefinition(
                table[0], table[1], dict(columns), engine, key, body, created[table],
                tuple(versions[table]),
            )  # fmt: skip
    return definitions
