"""Apply the versioned migrations in order and record them in a migrations table."""

from collections.abc import Callable
from dataclasses import dataclass

from .adopt import adopt_tables
from .established import EstablishedSchemaError, established_differences
from .identifiers import quote_identifier
from .pseudonyms import ensure_pseudonym_key
from .schema import Migration, SchemaSettings, load_migrations, replicated_engine

MIGRATIONS_TABLE = "aspects_schema_migrations"


class MigrationChecksumError(RuntimeError):
    """An applied migration's file changed since it was applied."""


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str


def migrations_table(settings: SchemaSettings) -> str:
    """Fully qualified, back-quoted name of the migrations table."""
    return f"{quote_identifier(settings.event_sink_database)}.{quote_identifier(MIGRATIONS_TABLE)}"


def bootstrap_statements(settings: SchemaSettings) -> list[str]:
    """Create the event sink database and the migrations table if missing."""
    database = quote_identifier(settings.event_sink_database)
    create_table = (
        f"CREATE TABLE IF NOT EXISTS {migrations_table(settings)} {settings.on_cluster} ("
        "version UInt32, name String, checksum String, "
        "applied_at DateTime64(6, 'UTC') DEFAULT now64(6)"
        ") ENGINE = MergeTree() ORDER BY version"
    )
    if settings.cluster:
        create_table = replicated_engine(create_table)
    return [f"CREATE DATABASE IF NOT EXISTS {database} {settings.on_cluster}", create_table]


def applied_migrations(client, settings: SchemaSettings) -> dict[int, AppliedMigration]:
    """What the migrations table records, by version."""
    rows = client.query(
        f"SELECT version, any(name), any(checksum) FROM {migrations_table(settings)} "  # noqa: S608 identifiers validated
        "GROUP BY version ORDER BY version"
    ).result_rows
    return {int(v): AppliedMigration(int(v), n, c) for v, n, c in rows}


def recorded_versions(client, settings: SchemaSettings) -> set[int]:
    """Versions in the migrations table; empty when it does not exist (nothing is created)."""
    exists = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": settings.event_sink_database, "t": MIGRATIONS_TABLE},
    ).result_rows[0][0]
    return set(applied_migrations(client, settings)) if exists else set()


def check_established(
    client,
    settings: SchemaSettings,
    migrations: list[Migration],
    adopt_established: bool,
    say: Callable[[str], None],
) -> None:
    """Before any DDL: tables with our names that our runner did not create must match ours.

    Differences raise EstablishedSchemaError (nothing changed) unless ``adopt_established``,
    which converts them (``adopt``) and says what it did per table.
    """
    differences = established_differences(
        client, settings, migrations, recorded_versions(client, settings)
    )
    if differences and not adopt_established:
        raise EstablishedSchemaError(differences)
    for difference in differences:
        say(f"established table {difference.describe()}")
    for report in adopt_tables(client, settings, differences):
        say(f"adopted {report.describe()}")


def apply_migrations(
    client,
    settings: SchemaSettings,
    migrations: list[Migration] | None = None,
    adopt_established: bool = False,
    say: Callable[[str], None] = lambda _line: None,
) -> list[Migration]:
    """Apply every migration not yet recorded; return those applied now (empty = up to date).

    First ``check_established`` (tables of an established install). Each statement is
    idempotent (``IF NOT EXISTS``), so a run that stopped half-way is simply run again. A
    recorded migration whose file changed raises MigrationChecksumError.
    """
    migrations = load_migrations() if migrations is None else migrations
    check_established(client, settings, migrations, adopt_established, say)
    for statement in bootstrap_statements(settings):
        client.command(statement)
    done = applied_migrations(client, settings)
    for migration in migrations:
        recorded = done.get(migration.version)
        if recorded and recorded.checksum != migration.checksum:
            raise MigrationChecksumError(
                f"migration {migration.version:04d}_{migration.name} changed after it was "
                f"applied (recorded checksum {recorded.checksum[:12]}…, file "
                f"{migration.checksum[:12]}…): add a new migration instead of editing it"
            )
    applied = []
    for migration in migrations:
        if migration.version in done:
            continue
        for statement in migration.statements(settings):
            # The key must exist before a statement computing pseudonyms (backfills, views).
            ensure_pseudonym_key(client, settings)
            client.command(statement)
        client.command(
            f"INSERT INTO {migrations_table(settings)} (version, name, checksum) "  # noqa: S608
            "VALUES ({version:UInt32}, {name:String}, {checksum:String})",
            parameters={
                "version": migration.version,
                "name": migration.name,
                "checksum": migration.checksum,
            },
        )
        applied.append(migration)
    return applied
