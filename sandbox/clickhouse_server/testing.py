"""The ClickHouse a test run talks to: the embedded server, or a real one given by env vars.

``ASPECTS_TEST_CLICKHOUSE_URL`` (+ ``_USER``, ``_PASSWORD``) selects a real server; the run
then creates fresh, uniquely named databases and drops them at the end, so real data is
never touched.
"""

import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aspects_platform.clickhouse.connection import connect
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.clickhouse.runner import apply_migrations
from aspects_platform.clickhouse.schema import SchemaSettings

from .process import EmbeddedClickHouse

URL_VARIABLE = "ASPECTS_TEST_CLICKHOUSE_URL"


class RealServerError(RuntimeError):
    """stop()/start() asked of a real server."""


@dataclass
class ClickHouseTarget:
    """Connection details, database names and (embedded only) stop/start."""

    url: str
    username: str
    password: str = field(repr=False)
    schema: SchemaSettings = field(default_factory=SchemaSettings)
    embedded: EmbeddedClickHouse | None = None

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    @property
    def event_sink_database(self) -> str:
        return self.schema.event_sink_database

    @property
    def xapi_database(self) -> str:
        return self.schema.xapi_database

    @property
    def xapi_table(self) -> str:
        return self.schema.xapi_table

    @property
    def reporting_database(self) -> str:
        return self.schema.reporting_database

    @property
    def databases(self) -> dict[str, str]:
        return {
            "event_sink": self.event_sink_database,
            "xapi": self.xapi_database,
            "reporting": self.reporting_database,
        }

    def client(self, database: str | None = None, **kwargs):
        """A new clickhouse-connect client (as the admin/test user)."""
        return connect(self.url, self.username, self.password, database=database, **kwargs)

    def stop(self) -> None:
        if not self.embedded:
            raise RealServerError("only the embedded ClickHouse can be stopped by tests")
        self.embedded.stop()

    def start(self) -> None:
        if not self.embedded:
            raise RealServerError("only the embedded ClickHouse can be started by tests")
        self.embedded.start()

    def migrate(self) -> list:
        return apply_migrations(self.client(), self.schema)

    def drop_databases(self) -> None:
        client = self.client()
        for database in self.databases.values():
            client.command(f"DROP DATABASE IF EXISTS {quote_identifier(database)}")


#: Longer bound parameters fail in the embedded engine's binding: such statements are sent as
#: insert data into a scratch table instead.
LONG_PARAMETER = 2000


def format_query(client, statement: str) -> str:
    """The engine's own parse and re-format of ``statement`` (raises on a syntax error)."""
    if len(statement) <= LONG_PARAMETER:
        result = client.query("SELECT formatQuery({q:String})", parameters={"q": statement})
        return result.result_rows[0][0]
    table = f"format_query_{uuid.uuid4().hex[:8]}"
    client.command(f"CREATE TABLE {table} (q String) ENGINE = Memory")
    try:
        client.insert(table, [[statement]], column_names=["q"])
        return client.query(f"SELECT formatQuery(q) FROM {table}").result_rows[0][0]  # noqa: S608
    finally:
        client.command(f"DROP TABLE IF EXISTS {table}")


#: A replicated engine's ZooKeeper path and replica name, as the cluster-mode DDL writes them.
REPLICATED_ENGINE = re.compile(
    r"\bReplicated(\w*MergeTree)\('/clickhouse/tables/\{shard\}/\{database\}/\{table\}', "
    r"'\{replica\}'(?:, ([^()]*))?\)"
)


def single_node_form(formatted: str, cluster: str) -> str:
    """A formatted cluster-mode statement without ``ON CLUSTER`` and replication arguments."""
    local = formatted.replace(f" ON CLUSTER {cluster}", "")
    return REPLICATED_ENGINE.sub(lambda m: f"{m[1]}({m[2]})" if m[2] else m[1], local)


def unique_schema(prefix: str = "aspects_test") -> SchemaSettings:
    tag = uuid.uuid4().hex[:10]
    return SchemaSettings(
        event_sink_database=f"{prefix}_{tag}_event_sink",
        xapi_database=f"{prefix}_{tag}_xapi",
        reporting_database=f"{prefix}_{tag}_reporting",
    )


def target_from_environment(embedded_home: Path) -> ClickHouseTarget:
    """A real server if ASPECTS_TEST_CLICKHOUSE_URL is set, else a fresh embedded one."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return ClickHouseTarget(
            url=url,
            username=os.environ.get("ASPECTS_TEST_CLICKHOUSE_USER", "default"),
            password=os.environ.get("ASPECTS_TEST_CLICKHOUSE_PASSWORD", ""),
            schema=unique_schema(),
        )
    server = EmbeddedClickHouse(embedded_home).start()
    return ClickHouseTarget(server.url, server.username, server.password, embedded=server)
