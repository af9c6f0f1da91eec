"""Removes a retired user's rows from every PII table (EVENT_SINK_CLICKHOUSE_PII_MODELS)."""

from __future__ import annotations

from django.conf import settings

from aspects_platform import toggles
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.settings.common import RETIREMENT_SWITCH_NAME

#: Mutations finish on every replica before the command returns.
DELETE_SETTINGS = {"mutations_sync": 2}


class UserRetirementSink:
    """Deletes, with a bound ``user_id``, that user's rows from each PII table."""

    object_name = RETIREMENT_SWITCH_NAME

    @staticmethod
    def pii_tables() -> list[str]:
        """The PII tables, validated as identifiers."""
        tables = list(getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_MODELS", []))
        for table in tables:
            quote_identifier(table, "table")
        return tables

    @classmethod
    def is_enabled(cls) -> bool:
        """On with its own switch, or when any PII sink is on (rows must not outlive users)."""
        return toggles.is_enabled(cls.object_name) or any(
            toggles.is_enabled(name) for name in cls.pii_tables()
        )

    @staticmethod
    def delete_statement(qualified_table: str, cluster: str = "") -> str:
        """The DELETE of one user's rows; ``ON CLUSTER`` (lightweight delete) when clustered."""
        if cluster:
            return (
                f"DELETE FROM {qualified_table} "  # noqa: S608 - validated, back-quoted identifiers
                f"ON CLUSTER {quote_identifier(cluster, 'cluster')} "
                "WHERE user_id = {user_id:Int64}"
            )
        return f"ALTER TABLE {qualified_table} DELETE WHERE user_id = {{user_id:Int64}}"

    def retire(self, client, database: str, user_id: int, cluster: str = "") -> list[str]:
        """Delete ``user_id``'s rows from every PII table (on every node of ``cluster``)."""
        db = quote_identifier(database, "database")
        tables = self.pii_tables()
        for table in tables:
            client.command(
                self.delete_statement(f"{db}.{quote_identifier(table, 'table')}", cluster),
                parameters={"user_id": int(user_id)},
                settings=DELETE_SETTINGS,
            )
        return tables
