"""Removes a retired user from ClickHouse: PII rows deleted, usernames elsewhere blanked.

* Every table in ``EVENT_SINK_CLICKHOUSE_PII_MODELS``: ``ALTER TABLE … DELETE WHERE user_id``.
* Tables that keep non-personal rows but carry a username (``course_enrollment``):
  ``ALTER TABLE … UPDATE username = '' WHERE user_id``.
* The reporting tables holding names and emails (``learner_pii`` in the database
  ``EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG["reporting_database"]``): ``DELETE WHERE user_id``.
  What stays in the reporting objects is the learner's pseudonym, which nothing else links to
  them once these rows are gone.

Both are mutations (parts are rewritten: the data is physically gone once they finish; not a
lightweight DELETE, which only masks rows). On one node the statement waits for its mutation
(``mutations_sync=1``). On a cluster it runs ``ON CLUSTER`` and does not wait for the
mutations (``mutations_sync=0``): a later check (``remaining_rows`` on every replica) confirms.
"""

from __future__ import annotations

from django.conf import settings

from aspects_platform import toggles
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.clickhouse.users import REPORTING_PII_TABLES, USERNAME_TABLES
from aspects_platform.settings.common import RETIREMENT_SWITCH_NAME

#: One node: the statement returns once its mutation is done.
SINGLE_NODE_SETTINGS = {"mutations_sync": 1}
#: A cluster: the statement returns once every node has queued its mutation.
CLUSTER_SETTINGS = {"mutations_sync": 0}
USER_FILTER = "user_id = {user_id:Int64}"


class UserRetirementSink:
    """Deletes or blanks, with a bound ``user_id``, that user's rows in ClickHouse."""

    object_name = RETIREMENT_SWITCH_NAME

    @staticmethod
    def pii_tables() -> list[str]:
        """The PII tables (rows deleted); each statement quotes (and so validates) the name."""
        return list(getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_MODELS", []))

    @staticmethod
    def reporting_tables() -> list[tuple[str, str]]:
        """(``database.table``, back-quoted name) of each reporting PII table."""
        config = getattr(settings, "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG", None) or {}
        database = config.get("reporting_database") or "reporting"
        db = quote_identifier(database, "database")
        return [
            (f"{database}.{table}", f"{db}.{quote_identifier(table)}")
            for table in REPORTING_PII_TABLES
        ]

    def username_tables(self) -> list[str]:
        """Tables whose rows stay but whose usernames are blanked (those not deleted)."""
        pii = self.pii_tables()
        return [table for table in USERNAME_TABLES if table not in pii]

    @classmethod
    def is_enabled(cls) -> bool:
        """On with its own switch, or when any PII sink is on (rows must not outlive users)."""
        return toggles.is_enabled(cls.object_name) or any(
            toggles.is_enabled(name) for name in cls.pii_tables()
        )

    @staticmethod
    def _table_clause(qualified_table: str, cluster: str) -> str:
        on_cluster = f" ON CLUSTER {quote_identifier(cluster, 'cluster')}" if cluster else ""
        return f"ALTER TABLE {qualified_table}{on_cluster}"

    @classmethod
    def delete_statement(cls, qualified_table: str, cluster: str = "") -> str:
        """The mutation deleting one user's rows (``ON CLUSTER`` when clustered)."""
        return f"{cls._table_clause(qualified_table, cluster)} DELETE WHERE {USER_FILTER}"

    @classmethod
    def blank_username_statement(cls, qualified_table: str, cluster: str = "") -> str:
        """The mutation blanking one user's usernames (``ON CLUSTER`` when clustered)."""
        return (
            f"{cls._table_clause(qualified_table, cluster)} UPDATE username = '' "
            f"WHERE {USER_FILTER} AND username != ''"
        )

    def statements(self, database: str, cluster: str = "") -> list[tuple[str, str]]:
        """(table, statement) of every mutation a retirement runs."""
        db = quote_identifier(database, "database")
        found = [
            (table, self.delete_statement(f"{db}.{quote_identifier(table, 'table')}", cluster))
            for table in self.pii_tables()
        ]
        found += [
            (table, self.blank_username_statement(f"{db}.{quote_identifier(table)}", cluster))
            for table in self.username_tables()
        ]
        found += [
            (label, self.delete_statement(table, cluster))
            for label, table in self.reporting_tables()
        ]
        return found

    def retire(self, client, database: str, user_id: int, cluster: str = "") -> list[str]:
        """Submit every mutation for ``user_id``; waits for them only on a single node."""
        mutation_settings = CLUSTER_SETTINGS if cluster else SINGLE_NODE_SETTINGS
        tables = []
        for table, statement in self.statements(database, cluster):
            client.command(
                statement, parameters={"user_id": int(user_id)}, settings=mutation_settings
            )
            tables.append(table)
        return tables

    def remaining_rows(
        self, client, database: str, user_id: int, cluster: str = ""
    ) -> dict[str, int]:
        """Rows of ``user_id`` still to delete or blank, per table (on every replica)."""
        db = quote_identifier(database, "database")
        checks = [(table, USER_FILTER) for table in self.pii_tables()]
        checks += [(t, f"{USER_FILTER} AND username != ''") for t in self.username_tables()]
        qualified = [(f"{db}.{quote_identifier(table, 'table')}", table, c) for table, c in checks]
        qualified += [(table, label, USER_FILTER) for label, table in self.reporting_tables()]
        remaining = {}
        for source, table, condition in qualified:
            if cluster:
                source = f"clusterAllReplicas({quote_identifier(cluster, 'cluster')}, {source})"
            count = client.query(
                f"SELECT count() FROM {source} WHERE {condition}",  # noqa: S608 - quoted names
                parameters={"user_id": int(user_id)},
            ).result_rows[0][0]
            remaining[table] = int(count)
        return remaining
