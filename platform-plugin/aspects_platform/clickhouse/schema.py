"""The versioned schema: migration files, their rendering for one deployment, table columns.

Migration files (``migrations/NNNN_name.sql``) are plain ClickHouse SQL with placeholders:
``${event_sink}``, ``${xapi}``, ``${xapi_table}``, ``${reporting}`` (validated, back-quoted
identifiers) and ``${on_cluster}`` (empty, or ``ON CLUSTER `name```). With a cluster name, every
MergeTree-family engine becomes its ``Replicated*`` form. Statements end with ``;`` at the end of
a line.
"""

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from string import Template

from .identifiers import quote_identifier, validate_identifier

MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
ENGINE_CLAUSE = re.compile(r"ENGINE\s*=\s*(\w*MergeTree)\s*\(([^)]*)\)")
REPLICATION_ARGS = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"


@dataclass(frozen=True)
class SchemaSettings:
    """Names that vary per deployment. Empty ``cluster`` means a single node."""

    event_sink_database: str = "event_sink"
    xapi_database: str = "xapi"
    xapi_table: str = "xapi_events_all"
    #: The reporting objects (materialized views and their tables) Superset reads.
    reporting_database: str = "reporting"
    cluster: str = ""
    #: EVENT_SINK_CLICKHOUSE_PII_MODELS: the LMS user may delete rows in exactly these tables.
    pii_tables: tuple[str, ...] = ("user_profile", "external_id")

    def __post_init__(self) -> None:
        for table in self.pii_tables:
            validate_identifier(table, "PII table name")
        validate_identifier(self.event_sink_database, "event sink database name")
        validate_identifier(self.xapi_database, "xAPI database name")
        validate_identifier(self.xapi_table, "xAPI table name")
        validate_identifier(self.reporting_database, "reporting database name")
        if self.cluster:
            validate_identifier(self.cluster, "cluster name")

    @property
    def on_cluster(self) -> str:
        """The ``ON CLUSTER`` clause for DDL, or an empty string."""
        return f"ON CLUSTER {quote_identifier(self.cluster)}" if self.cluster else ""


@dataclass(frozen=True)
class Migration:
    """One numbered migration file."""

    version: int
    name: str
    template: str

    @property
    def checksum(self) -> str:
        """sha256 of the file as written (independent of the deployment's names)."""
        return hashlib.sha256(self.template.encode("utf-8")).hexdigest()

    def statements(self, settings: SchemaSettings) -> list[str]:
        """The migration's statements rendered for ``settings``."""
        return render_statements(self.template, settings)


def load_migrations() -> list[Migration]:
    """Every migration shipped with the package, in version order."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            version, name = int(match.group(1)), match.group(2)
            found.append(Migration(version, name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migration files share a version number: {versions}")
    return found


def replicated_engine(sql: str) -> str:
    """Rewrite ``ENGINE = XMergeTree(args)`` to ``ReplicatedXMergeTree(path, replica, args)``."""

    def rewrite(match: re.Match) -> str:
        engine, args = match.group(1), match.group(2).strip()
        if engine.startswith("Replicated"):
            return match.group(0)
        all_args = f"{REPLICATION_ARGS}, {args}" if args else REPLICATION_ARGS
        return f"ENGINE = Replicated{engine}({all_args})"

    return ENGINE_CLAUSE.sub(rewrite, sql)


def render_statements(template: str, settings: SchemaSettings) -> list[str]:
    """Substitute the placeholders, apply cluster mode and split into statements."""
    sql = Template(template).substitute(
        event_sink=quote_identifier(settings.event_sink_database),
        xapi=quote_identifier(settings.xapi_database),
        xapi_table=quote_identifier(settings.xapi_table),
        reporting=quote_identifier(settings.reporting_database),
        on_cluster=settings.on_cluster,
    )
    if settings.cluster:
        sql = replicated_engine(sql)
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    statements, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";").strip())
            current = []
    if "".join(current).strip():
        raise ValueError("the last statement of a migration must end with ';'")
    return [s for s in statements if s]


def table_columns(client, database: str, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column of ``database.table``, in table order (from system.columns)."""
    validate_identifier(database, "database name")
    validate_identifier(table, "table name")
    result = client.query(
        "SELECT name, type FROM system.columns "
        "WHERE database = {db:String} AND table = {tbl:String} ORDER BY position",
        parameters={"db": database, "tbl": table},
    )
    return [(row[0], row[1]) for row in result.result_rows]
