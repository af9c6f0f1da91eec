"""Tables of an established Aspects install that have our names but not our schema.

A table the migrations create that already exists, although the migration creating it is not
recorded in our migrations table, was made by someone else (typically tutor-contrib-aspects'
Alembic revisions). ``CREATE TABLE IF NOT EXISTS`` would keep it and the sinks' inserts would
fail later, so the runner compares it first (docs/migrating-from-established-aspects.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from aspects_platform.clickhouse.expected_schema import Table, normalise_type

from .definitions import TableDefinition, normalise_key, table_definitions
from .schema import Migration, SchemaSettings

ADOPT_FLAG = "--adopt-established"
ADOPT_COMMANDS = (
    f"`tutor local do init-clickhouse {ADOPT_FLAG}` "
    f"(or `python -m aspects_platform.clickhouse.migrate {ADOPT_FLAG}`)"
)


@dataclass
class TableDifference:
    """How an existing table differs from our definition of it."""

    definition: TableDefinition
    engine: str
    sorting_key: str
    #: (name, type) of every existing column, in table order.
    found: list[tuple[str, str]]
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.definition.database}.{self.definition.table}"

    @property
    def found_types(self) -> dict[str, str]:
        return dict(self.found)

    def describe(self) -> str:
        return f"{self.name}: " + "; ".join(self.problems)


class EstablishedSchemaError(RuntimeError):
    """Tables with our names but another schema exist; nothing was changed."""

    def __init__(self, differences: list[TableDifference]):
        self.differences = differences
        lines = [
            f"{len(differences)} table(s) exist with the names of Aspects tables but were not "
            "created by these migrations (an established Aspects install?) and differ from "
            "the Aspects schema; nothing was changed:",
            *(f"  {difference.describe()}" for difference in differences),
            f"Convert them with {ADOPT_COMMANDS}: every row is copied into the Aspects schema "
            "and each original is kept as <table>_established_backup "
            "(docs/migrating-from-established-aspects.md).",
        ]
        super().__init__("\n".join(lines))


def compare(definition: TableDefinition, engine: str, sorting_key: str, found) -> list[str]:
    """Each difference between ``found`` [(name, type)] and ``definition`` (empty: none)."""
    problems = []
    if engine != definition.engine or normalise_key(sorting_key) != definition.sorting_key:
        problems.append(
            f"engine {engine} ORDER BY ({sorting_key}), expected {definition.engine} "
            f"ORDER BY ({definition.sorting_key.replace(',', ', ')})"
        )
    types = {name: normalise_type(type_name) for name, type_name in found}
    expected = definition.columns
    missing = [f"{name} {type_name}" for name, type_name in expected.items() if name not in types]
    if missing:
        problems.append("missing columns " + ", ".join(missing))
    extra = [f"{name} {type_name}" for name, type_name in found if name not in expected]
    if extra:
        problems.append("extra columns " + ", ".join(extra))
    mismatched = [
        f"{name} is {types[name]}, expected {type_name}"
        for name, type_name in expected.items()
        if name in types and types[name] != type_name
    ]
    if mismatched:
        problems.append("types: " + ", ".join(mismatched))
    shared = [name for name, _ in found if name in expected]
    if not problems and shared != [name for name in expected if name in types]:
        problems.append("column order " + ", ".join(shared) + " differs from the Aspects order")
    return problems


def matches_a_version(definition: TableDefinition, engine: str, key: str, found) -> bool:
    """Whether ``found`` is one of the states our migrations leave the table in (a run of ours
    that stopped half-way, before recording the migration)."""
    return any(
        not compare(
            replace(definition, columns=dict(columns), engine=e, sorting_key=k), engine, key, found
        )
        for columns, e, k in definition.versions
    )


def _existing(client, databases: list[str]) -> dict[Table, tuple[str, str, list]]:
    """{(database, table): (engine, sorting key, [(column, type)])} of the databases' tables."""
    tables = client.query(
        "SELECT database, name, engine, sorting_key FROM system.tables "
        "WHERE database IN {dbs:Array(String)}",
        parameters={"dbs": databases},
    ).result_rows
    found: dict[Table, tuple[str, str, list]] = {
        (database, name): (engine, key, []) for database, name, engine, key in tables
    }
    columns = client.query(
        "SELECT database, table, name, type FROM system.columns "
        "WHERE database IN {dbs:Array(String)} ORDER BY database, table, position",
        parameters={"dbs": databases},
    ).result_rows
    for database, table, name, type_name in columns:
        if (database, table) in found:
            found[(database, table)][2].append((name, type_name))
    return found


def established_differences(
    client, settings: SchemaSettings, migrations: list[Migration], recorded: set[int]
) -> list[TableDifference]:
    """Tables whose creating migration is not in ``recorded`` and whose schema differs from
    ours (read-only)."""
    definitions = table_definitions(migrations, settings)
    existing = _existing(client, sorted({database for database, _ in definitions}))
    differences = []
    for table, definition in definitions.items():
        if definition.created_by in recorded or table not in existing:
            continue
        engine, key, found = existing[table]
        problems = compare(definition, engine, key, found)
        if problems and not matches_a_version(definition, engine, key, found):
            differences.append(TableDifference(definition, engine, key, found, problems))
    return differences
