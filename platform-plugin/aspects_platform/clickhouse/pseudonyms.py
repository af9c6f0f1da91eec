"""The install's pseudonym key: learners appear in reporting objects as a keyed hash of ERB's
xAPI external id (``learner``), not reversible without this key.

The key is created by the migration job the first time it finds ``${reporting}.pseudonym_key``
empty: 32 random bytes, sent as insert data (the request body), so it never appears in a
statement, the query log, a command line, a configuration file or the DDL of any object.
Only the admin (migration) user can read that table; the materialized views computing
``learner`` read it as their definer. It is never replaced (pseudonyms stay stable); backups of
the reporting database keep it. See docs/clickhouse.md.
"""

from __future__ import annotations

import secrets

from .identifiers import quote_identifier
from .schema import SchemaSettings

KEY_TABLE = "pseudonym_key"


def key_table_exists(client, settings: SchemaSettings) -> bool:
    """True once the migration creating the key table has run."""
    result = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": settings.reporting_database, "t": KEY_TABLE},
    )
    return bool(result.result_rows[0][0])


def ensure_pseudonym_key(client, settings: SchemaSettings) -> bool:
    """Write a new random key if the key table exists and holds none; True if one was written."""
    if not key_table_exists(client, settings):
        return False
    table = f"{quote_identifier(settings.reporting_database)}.{quote_identifier(KEY_TABLE)}"
    if client.query(f"SELECT count() FROM {table}").result_rows[0][0]:  # noqa: S608 quoted
        return False
    client.insert(
        KEY_TABLE,
        [[secrets.token_hex(32)]],
        column_names=["key"],
        database=settings.reporting_database,
    )
    return True
