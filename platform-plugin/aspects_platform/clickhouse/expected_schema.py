"""The tables and columns the shipped migrations define, read from their rendered SQL.

Each migration is rendered for the deployment (``Migration.statements``) and replayed on a
model of the schema: ``CREATE TABLE`` with a column list or ``AS <table>`` (``IF NOT EXISTS``
keeps an existing table, ``OR REPLACE`` replaces it), ``ALTER TABLE ...
ADD/DROP/MODIFY/RENAME COLUMN``, ``DROP TABLE``, ``RENAME TABLE`` and ``EXCHANGE TABLES``.
Other statements (databases, views, inserts, ``CREATE TABLE ... AS SELECT`` without a column
list) define no columns that can be read here.
"""

from __future__ import annotations

import re

from aspects_platform.clickhouse.schema import Migration, SchemaSettings
from aspects_platform.clickhouse.sqltext import parenthesised, split_top_level

Table = tuple[str, str]  # (database, table)
Columns = dict[str, str]  # name -> type, in definition order

NAME = r"(?:`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*)"
QUALIFIED = rf"(?P<name>{NAME}(?:\s*\.\s*{NAME})?)"
ON_CLUSTER = rf"(?:\s+ON\s+CLUSTER\s+{NAME})"
CREATE_HEAD = (
    rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?TABLE\s+(?P<if_not>IF\s+NOT\s+EXISTS\s+)?"
    rf"{QUALIFIED}{ON_CLUSTER}?\s*"
)
CREATE = re.compile(rf"{CREATE_HEAD}\(", re.IGNORECASE)
#: ``CREATE TABLE a AS b ...``: a takes b's columns (``AS SELECT`` has no column list to read).
CREATE_AS = re.compile(
    rf"{CREATE_HEAD}AS\s+(?!SELECT\b)(?P<source>{NAME}(?:\s*\.\s*{NAME})?)", re.IGNORECASE
)
EXCHANGE = re.compile(
    rf"^EXCHANGE\s+TABLES\s+{QUALIFIED}\s+AND\s+(?P<other>{NAME}(?:\s*\.\s*{NAME})?)",
    re.IGNORECASE,
)
ALTER = re.compile(rf"^ALTER\s+TABLE\s+{QUALIFIED}\s*(?:ON\s+CLUSTER\s+{NAME}\s*)?", re.I)
DROP = re.compile(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{QUALIFIED}", re.IGNORECASE)
RENAME = re.compile(r"^RENAME\s+TABLE\s+(?P<pairs>.+)$", re.IGNORECASE | re.DOTALL)
#: Words that end a column's type in a column definition.
TYPE_END = re.compile(
    r"\s+(?:DEFAULT|MATERIALIZED|ALIAS|EPHEMERAL|CODEC|TTL|COMMENT|PRIMARY\s+KEY|SETTINGS)\b",
    re.IGNORECASE,
)
#: What may follow ``ADD COLUMN x Type`` (placement).
PLACEMENT = re.compile(r"\s+(?:AFTER\s+\S+|FIRST)\s*$", re.IGNORECASE)
#: Table-level entries of a column list that are not columns.
NOT_A_COLUMN = re.compile(r"^(?:INDEX|PROJECTION|CONSTRAINT|PRIMARY\s+KEY)\b", re.IGNORECASE)


def unquote(name: str) -> str:
    """An identifier without its back-quotes."""
    name = name.strip()
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def qualified(text: str, default_database: str) -> Table:
    """``db.table`` (or ``table``) as (database, table)."""
    parts = re.findall(NAME, text)
    return (
        (unquote(parts[0]), unquote(parts[1]))
        if len(parts) > 1
        else (
            default_database,
            unquote(parts[0]),
        )
    )


def normalise_type(type_text: str) -> str:
    """A type without whitespace outside quotes, so ``DateTime64(6, 'UTC')`` compares equal."""
    pieces = re.split(r"('(?:[^'\\]|\\.)*')", type_text.strip())
    return "".join(p if i % 2 else re.sub(r"\s+", "", p) for i, p in enumerate(pieces))


def column_definition(text: str) -> tuple[str, str] | None:
    """(name, type) of ``name Type [DEFAULT ...]``; None for an index or a constraint."""
    if NOT_A_COLUMN.match(text):
        return None
    match = re.match(rf"^({NAME})\s+(.+)$", text.strip(), re.DOTALL)
    if match is None:
        return None
    type_text = TYPE_END.split(match.group(2), maxsplit=1)[0]
    return unquote(match.group(1)), normalise_type(type_text)


def _alter(tables: dict[Table, Columns], table: Table, actions: str) -> None:
    columns = tables.get(table)
    if columns is None:
        return
    for action in split_top_level(actions):
        verb = re.match(
            r"^(ADD|DROP|MODIFY|RENAME)\s+COLUMN\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(.+)$",
            action.strip(),
            re.IGNORECASE | re.DOTALL,
        )
        if verb is None:
            continue
        kind, rest = verb.group(1).upper(), verb.group(2)
        if kind in ("ADD", "MODIFY"):
            found = column_definition(PLACEMENT.sub("", rest))
            if found and (kind == "MODIFY" or found[0] not in columns):
                columns[found[0]] = found[1]
        elif kind == "DROP":
            columns.pop(unquote(rest.split()[0]), None)
        else:
            names = re.split(r"\s+TO\s+", rest.strip(), maxsplit=1, flags=re.IGNORECASE)
            old, new = unquote(names[0]), unquote(names[-1])
            if len(names) == 2 and old in columns:
                renamed = {new if n == old else n: t for n, t in columns.items()}
                columns.clear()
                columns.update(renamed)


def _create(tables: dict[Table, Columns], match: re.Match, columns: Columns | None, db: str):
    table = qualified(match["name"], db)
    if columns is not None and not (match["if_not"] and table in tables):
        tables[table] = dict(columns)


def _column_list(text: str) -> Columns:
    columns: Columns = {}
    for entry in split_top_level(text):
        found = column_definition(entry)
        if found:
            columns[found[0]] = found[1]
    return columns


def apply_statement(tables: dict[Table, Columns], statement: str, database: str) -> None:
    """Replay one rendered statement on ``tables``."""
    text = statement.strip()
    if match := CREATE.match(text):
        _create(tables, match, _column_list(parenthesised(text, match.end())), database)
    elif match := CREATE_AS.match(text):
        _create(tables, match, tables.get(qualified(match["source"], database)), database)
    elif match := EXCHANGE.match(text):
        first, second = qualified(match["name"], database), qualified(match["other"], database)
        if first in tables and second in tables:
            tables[first], tables[second] = tables[second], tables[first]
    elif match := ALTER.match(text):
        _alter(tables, qualified(match["name"], database), text[match.end() :])
    elif match := DROP.match(text):
        tables.pop(qualified(match["name"], database), None)
    elif match := RENAME.match(text):
        for pair in split_top_level(match["pairs"]):
            names = re.split(r"\s+TO\s+", pair, maxsplit=1, flags=re.IGNORECASE)
            if len(names) == 2 and qualified(names[0], database) in tables:
                tables[qualified(names[1], database)] = tables.pop(qualified(names[0], database))


def expected_tables(migrations: list[Migration], settings: SchemaSettings) -> dict[Table, Columns]:
    """Every table the migrations leave, with its columns, for ``settings``' names."""
    tables: dict[Table, Columns] = {}
    for migration in migrations:
        for statement in migration.statements(settings):
            apply_statement(tables, statement, settings.event_sink_database)
    return tables
