"""Convert established tables (``established.TableDifference``) to the Aspects schema.

Source tables (event sink, xAPI): our table is created under a temporary name, every row is
copied with an explicit conversion per column (matched by name, so column order does not
matter), the counts are compared with merges stopped on both tables, then one ``RENAME`` puts
our table in place and keeps the original as ``<table>_established_backup``. Any failure, or a
count that differs, leaves the original untouched (the copy is dropped).

History-keeping originals (``MergeTree`` with one row per dump) are copied whole: our
``ReplacingMergeTree(time_last_dumped)`` tables keep the newest row of each key on merge,
which is what the sinks write today.

Reporting tables are derived: the original is renamed to its backup name and the migrations
create ours and fill it from the sources (their backfill statements).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .established import TableDifference
from .identifiers import quote_identifier
from .schema import SchemaSettings

BACKUP_SUFFIX = "_established_backup"
TEMPORARY_SUFFIX = "_aspects_adopting"
#: Texts an established String column holds for "no value" (empty, Python's str(None)).
NULL_TEXTS = ("", "None")
#: Columns of ours that an established table keeps inside a JSON column: {table: {column:
#: (source column, expression on it)}} (course_blocks' xblock_data_json, see the guide).
FROM_JSON = {
    "course_blocks": {
        "block_type": ("xblock_data_json", "JSONExtractString({src}, 'block_type')"),
        "section": ("xblock_data_json", "JSONExtractUInt({src}, 'section')"),
        "subsection": ("xblock_data_json", "JSONExtractUInt({src}, 'subsection')"),
        "unit": ("xblock_data_json", "JSONExtractUInt({src}, 'unit')"),
        "graded": ("xblock_data_json", "JSONExtractUInt({src}, 'graded') != 0"),
        "detached": ("xblock_data_json", "JSONExtractUInt({src}, 'detached') != 0"),
    }
}


class AdoptionError(RuntimeError):
    """A table could not be converted; its original is untouched."""


@dataclass(frozen=True)
class AdoptionReport:
    """What happened to one table."""

    name: str
    rows_before: int
    rows_after: int
    backup: str
    derived: bool
    defaulted: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.derived:
            return (
                f"{self.name}: derived table ({self.rows_before} rows) kept as {self.backup}; "
                "the migrations rebuild it from the source tables"
            )
        text = f"{self.name}: {self.rows_before} rows before, {self.rows_after} after"
        if self.defaulted:
            text += "; filled with defaults: " + ", ".join(self.defaulted)
        if self.dropped:
            text += "; not carried over (still in the backup): " + ", ".join(self.dropped)
        return f"{text}; original kept as {self.backup}"


def _base(type_name: str) -> tuple[str, bool]:
    """(inner type, nullable) of ``Nullable(X)`` / ``LowCardinality(X)`` / ``X``."""
    nullable = type_name.startswith("Nullable(")
    inner = type_name[len("Nullable(") : -1] if nullable else type_name
    if inner.startswith("LowCardinality("):
        inner = inner[len("LowCardinality(") : -1]
    return inner, nullable


def convert(column: str, ours: str, theirs: str) -> tuple[str, str | None]:
    """(expression turning their ``column`` of type ``theirs`` into our type ``ours``, test
    finding a value it cannot convert, or None).

    Texts are parsed (dates best effort, in UTC); where our column is Nullable, empty and
    ``None`` texts become NULL. ``check_values`` runs the tests before anything is written;
    a ``CAST`` that still fails stops the copy.
    """
    source = quote_identifier(column)
    if re.sub(r"\s+", "", theirs) == re.sub(r"\s+", "", ours):
        return source, None
    inner, nullable = _base(ours)
    if _base(theirs)[0] != "String" or inner == "String":
        return f"CAST({source} AS {ours})", None
    if inner.startswith("DateTime64"):
        converted = f"parseDateTime64BestEffortOrNull({source}, 6, 'UTC')"
    else:
        converted = f"accurateCastOrNull({source}, '{inner}')"
    if not nullable:
        return f"CAST({converted} AS {ours})", f"{converted} IS NULL"
    blank = f"{source} IN ('{NULL_TEXTS[0]}', '{NULL_TEXTS[1]}')"
    return f"if({blank}, NULL, CAST({converted} AS {ours}))", f"NOT {blank} AND {converted} IS NULL"


def check_values(client, table: str, name: str, tests: dict[str, str]) -> None:
    """AdoptionError naming each column holding values that would not convert (an example)."""
    bad = []
    for column, test in tests.items():
        found = client.query(
            f"SELECT count(), any(toString({quote_identifier(column)})) FROM {table} "  # noqa: S608
            f"WHERE {test}"
        ).result_rows[0]
        if found[0]:
            bad.append(f"{column}: {found[0]} value(s) such as {found[1]!r}")
    if bad:
        raise AdoptionError(
            f"{name}: values that do not convert to the Aspects types ("
            + "; ".join(bad)
            + "); fix or delete those rows, then run again; the table was not changed"
        )


def _select_list(difference: TableDifference) -> tuple[list[str], list[str], list[str], dict]:
    """(our columns written, their expressions, our columns left to their defaults, value
    tests by column)."""
    theirs = difference.found_types
    derived = FROM_JSON.get(difference.definition.table, {})
    names, expressions, defaulted, tests = [], [], [], {}
    for column, ours in difference.definition.columns.items():
        if column in theirs:
            expression, test = convert(column, ours, theirs[column])
            if test:
                tests[column] = test
        elif column in derived and derived[column][0] in theirs:
            source, template = derived[column]
            json = quote_identifier(source)
            expression = f"CAST({template.format(src=json)} AS {ours})"
        else:
            defaulted.append(column)
            continue
        names.append(quote_identifier(column))
        expressions.append(expression)
    return names, expressions, defaulted, tests


def _count(client, table: str) -> int:
    return int(client.query(f"SELECT count() FROM {table}").result_rows[0][0])  # noqa: S608


def _names(settings: SchemaSettings, difference: TableDifference) -> tuple[str, str, str, str]:
    """Quoted (table, temporary copy, backup) and the backup's plain name."""
    definition = difference.definition
    database = quote_identifier(definition.database)
    backup = f"{definition.table}{BACKUP_SUFFIX}"
    return (
        f"{database}.{quote_identifier(definition.table)}",
        f"{database}.{quote_identifier(definition.table + TEMPORARY_SUFFIX)}",
        f"{database}.{quote_identifier(backup)}",
        f"{definition.database}.{backup}",
    )


def _check_backup_free(client, difference: TableDifference) -> None:
    backup = difference.definition.table + BACKUP_SUFFIX
    taken = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": difference.definition.database, "t": backup},
    ).result_rows[0][0]
    if taken:
        raise AdoptionError(
            f"{difference.definition.database}.{backup} already exists: rename or drop that "
            f"earlier backup first; {difference.name} was not changed"
        )


def _copy(client, difference: TableDifference, table: str, temporary: str, on_cluster: str):
    """Copy every row of ``table`` into ``temporary`` (created empty); (before, after) counts.

    Merges are stopped on both (the caller starts them again) and nothing is replaced on
    insert, so both counts are the rows as they are, not fewer after a replacing merge.
    """
    names, expressions, _, _ = _select_list(difference)
    client.command(f"SYSTEM STOP MERGES {on_cluster} {table}")
    client.command(f"SYSTEM STOP MERGES {on_cluster} {temporary}")
    before = _count(client, table)
    client.command(
        f"INSERT INTO {temporary} ({', '.join(names)}) "  # noqa: S608 identifiers quoted
        f"SETTINGS optimize_on_insert = 0 SELECT {', '.join(expressions)} FROM {table}"
    )
    return before, _count(client, temporary)


def adopt_table(client, settings: SchemaSettings, difference: TableDifference) -> AdoptionReport:
    """Convert one table (see the module docstring); AdoptionError leaves it untouched."""
    table, temporary, backup, backup_name = _names(settings, difference)
    on_cluster = settings.on_cluster
    _check_backup_free(client, difference)
    if difference.definition.database == settings.reporting_database:
        before = _count(client, table)
        client.command(f"RENAME TABLE {table} TO {backup} {on_cluster}")
        return AdoptionReport(difference.name, before, 0, backup_name, derived=True)
    _, _, defaulted, tests = _select_list(difference)
    check_values(client, table, difference.name, tests)
    definition = difference.definition
    client.command(f"DROP TABLE IF EXISTS {temporary} {on_cluster} SYNC")
    client.command(definition.create_statement(definition.table + TEMPORARY_SUFFIX, settings))
    original = table
    try:
        before, after = _copy(client, difference, table, temporary, on_cluster)
        if after != before:
            raise AdoptionError(
                f"{difference.name}: the copy has {after} rows, the original {before}; "
                "the original was not changed"
            )
        client.command(f"RENAME TABLE {table} TO {backup}, {temporary} TO {table} {on_cluster}")
        original = backup
    except Exception:
        client.command(f"DROP TABLE IF EXISTS {temporary} {on_cluster} SYNC")
        raise
    finally:
        client.command(f"SYSTEM START MERGES {on_cluster} {original}")
    client.command(f"SYSTEM START MERGES {on_cluster} {table}")
    dropped = tuple(name for name, _ in difference.found if name not in definition.columns)
    return AdoptionReport(
        difference.name,
        before,
        after,
        backup_name,
        derived=False,
        defaulted=tuple(defaulted),
        dropped=dropped,
    )


def adopt_tables(
    client, settings: SchemaSettings, differences: list[TableDifference]
) -> list[AdoptionReport]:
    """Convert each table in turn; stop at the first AdoptionError (the rest untouched)."""
    return [adopt_table(client, settings, difference) for difference in differences]
