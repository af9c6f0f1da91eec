"""One ClickHouse user per service, with the least privileges it needs.

Passwords never appear in SQL: Python computes ``sha256(password + salt)`` and the statement
carries ``IDENTIFIED WITH sha256_hash BY '<hex>' SALT '<hex>'`` (both validated hex).
``CREATE USER IF NOT EXISTS`` then ``ALTER USER`` keeps the password in sync on every run, and
the first ``GRANT ... WITH REPLACE OPTION`` drops privileges that a service no longer needs.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from .identifiers import quote_identifier
from .schema import SchemaSettings

HEX = re.compile(r"[0-9a-f]+")  # used with fullmatch
#: Tables that keep their rows when a user retires but carry a username (blanked then).
USERNAME_TABLES = ("course_enrollment",)
#: The operator dashboard's views (migration 0011): counts and times per table, for admins;
#: no course or learner column.
REPORTING_OPERATOR_VIEWS = (
    "operator_table_rows",
    "operator_xapi_hourly",
    "operator_load_test_runs",
)
#: What Superset reads in the reporting database (views and the tables they read; never the
#: pseudonym key, the feed or the materialized views). docs/clickhouse.md lists them.
REPORTING_OBJECTS = (
    "course_names",
    "course_blocks",
    "course_outline",
    "xapi_events",
    "learner_course_state",
    "learner_course_status",
    "learner_block_state",
    "learner_content_engagement",
    "learner_pii",
    *REPORTING_OPERATOR_VIEWS,
)
#: Reporting tables with personal data: a retired user's rows are deleted (by ``user_id``).
REPORTING_PII_TABLES = ("learner_pii",)


@dataclass(frozen=True)
class ServiceUser:
    """A service's ClickHouse login. ``service`` is one of SERVICES."""

    service: str
    name: str
    password: str = field(repr=False)


SERVICES = ("lms", "superset", "ralph", "vector")


def grants(service: str, settings: SchemaSettings) -> list[str]:
    """The privileges of ``service``, as ``<privileges> ON <object>`` clauses."""
    sink = quote_identifier(settings.event_sink_database)
    xapi = quote_identifier(settings.xapi_database)
    xapi_table = f"{xapi}.{quote_identifier(settings.xapi_table)}"
    reporting = quote_identifier(settings.reporting_database)
    if service == "lms":
        # Retirement: DELETE on exactly the PII tables, UPDATE (blank usernames) on the others.
        lms = [f"INSERT, SELECT ON {sink}.*"]
        lms += [
            f"SELECT, ALTER DELETE ON {reporting}.{quote_identifier(table)}"
            for table in REPORTING_PII_TABLES
        ]
        # SELECT on the xAPI table: the load-test monitor counts the rows a run produced.
        lms += [f"SELECT ON {xapi_table}"]
        lms += [f"ALTER DELETE ON {sink}.{quote_identifier(t)}" for t in settings.pii_tables]
        lms += [
            f"ALTER UPDATE ON {sink}.{quote_identifier(table)}"
            for table in USERNAME_TABLES
            if table not in settings.pii_tables
        ]
        if not settings.cluster:
            return lms
        # Retirement mutations run ON CLUSTER: refused (ACCESS_DENIED, 497) without CLUSTER
        # when on_cluster_queries_require_cluster_grant is on; the check that they finished
        # reads every replica with clusterAllReplicas (REMOTE). Superset and Ralph never do.
        return [*lms, "CLUSTER ON *.*", "CREATE TEMPORARY TABLE, REMOTE ON *.*"]
    if service == "superset":
        # The reporting objects only: no raw xAPI statement, no sink table (PII).
        return [f"SELECT ON {reporting}.{quote_identifier(name)}" for name in REPORTING_OBJECTS]
    if service == "ralph":
        return [f"INSERT, SELECT ON {xapi_table}"]
    if service == "vector":  # ships the statements ERB logs (ASPECTS_XAPI_PIPELINE=vector)
        return [f"INSERT ON {xapi_table}"]
    raise ValueError(f"unknown service {service!r}: choose one of {', '.join(SERVICES)}")


def sha256_hash(password: str, salt: str) -> str:
    """Hex of sha256(password + salt), as ClickHouse's ``sha256_hash ... SALT`` expects."""
    return hashlib.sha256((password + salt).encode("utf-8")).hexdigest()


def user_statements(
    user: ServiceUser, settings: SchemaSettings, salt: str | None = None
) -> list[str]:
    """CREATE USER IF NOT EXISTS, ALTER USER (password sync) and the GRANTs for ``user``."""
    salt = salt or secrets.token_hex(16)
    digest = sha256_hash(user.password, salt)
    if not (HEX.fullmatch(salt) and HEX.fullmatch(digest)):
        raise ValueError("salt and hash must be lowercase hex")
    name = quote_identifier(user.name, "user name")
    cluster = f" {settings.on_cluster}" if settings.cluster else ""
    identified = f"IDENTIFIED WITH sha256_hash BY '{digest}' SALT '{salt}'"
    statements = [
        f"CREATE USER IF NOT EXISTS {name}{cluster} {identified}",
        f"ALTER USER {name}{cluster} {identified}",
    ]
    for index, clause in enumerate(grants(user.service, settings)):
        replace = " WITH REPLACE OPTION" if index == 0 else ""
        statements.append(f"GRANT{cluster} {clause} TO {name}{replace}")
    return statements


def apply_users(client, users: list[ServiceUser], settings: SchemaSettings) -> list[str]:
    """Create/update every user and its grants; return the user names handled."""
    for user in users:
        for statement in user_statements(user, settings):
            client.command(statement)
    return [user.name for user in users]
