"""Compare ``SHOW GRANTS`` with the privileges a service needs (``clickhouse/users.py``).

ClickHouse prints one ``GRANT <privileges> ON <db>.<table> TO <user>`` line per object
(identifiers back-quoted when needed, e.g. ``db2.`table```), column grants as
``SELECT(col1, col2)``, partial revokes as ``REVOKE ... FROM <user>`` and roles as
``GRANT <role> TO <user>``. A needed privilege is covered by the same privilege or a parent
(``ALL``, ``ALTER`` for ``ALTER DELETE``...) on the same object or a wider one (``db.*``,
``*.*``), and counts as missing when a revoke takes any part of it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aspects_platform.clickhouse.sqltext import split_top_level

#: Parents of the privileges the services need (ClickHouse's privilege hierarchy).
PARENTS: dict[str, frozenset[str]] = {
    "ALTER DELETE": frozenset({"ALTER TABLE", "ALTER"}),
    "ALTER UPDATE": frozenset({"ALTER TABLE", "ALTER"}),
    "CREATE TEMPORARY TABLE": frozenset({"CREATE ARBITRARY TEMPORARY TABLE", "CREATE"}),
    "REMOTE": frozenset({"SOURCES"}),
}
#: Short names ClickHouse accepts for some privileges (SHOW GRANTS prints the full ones).
ALIASES = {"DELETE": "ALTER DELETE", "UPDATE": "ALTER UPDATE", "ALL PRIVILEGES": "ALL"}
STATEMENT = re.compile(
    r"^(?P<verb>GRANT|REVOKE)\s+(?:GRANT OPTION FOR\s+)?(?P<privileges>.+?)\s+ON\s+"
    r"(?P<object>\S+)\s+(?:TO|FROM)\s+",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Privilege:
    """One privilege on one object; ``columns`` is empty for the whole table."""

    name: str
    database: str
    table: str
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        columns = f"({', '.join(self.columns)})" if self.columns else ""
        return f"{self.name}{columns} ON {self.database}.{self.table}"

    def covers(self, other: Privilege) -> bool:
        """True when holding ``self`` gives ``other`` (a whole-table privilege only)."""
        if self.columns:
            return False
        name_ok = self.name in ("ALL", other.name) or self.name in PARENTS.get(other.name, ())
        return name_ok and _object_covers(self.database, self.table, other.database, other.table)

    def overlaps(self, other: Privilege) -> bool:
        """True when a revoke of ``self`` takes back any part of ``other``."""
        related = Privilege(self.name, "*", "*").covers(Privilege(other.name, "*", "*")) or (
            Privilege(other.name, "*", "*").covers(Privilege(self.name, "*", "*"))
        )
        whole = Privilege(self.name, self.database, self.table)
        return related and (
            _object_covers(whole.database, whole.table, other.database, other.table)
            or _object_covers(other.database, other.table, whole.database, whole.table)
        )


def _object_covers(database: str, table: str, other_database: str, other_table: str) -> bool:
    if database == "*":
        return True
    if database != other_database:
        return False
    if table == "*":
        return True
    if table.endswith("*") and other_table != "*":
        return other_table.startswith(table[:-1])
    return table == other_table


def _unquote(name: str) -> str:
    return name.strip().strip("`").replace("``", "`")


def _object(text: str) -> tuple[str, str]:
    """``db.table``, ``db.*``, ``*.*`` or ``*`` as (database, table), back-quotes removed."""
    parts = re.findall(r"`(?:[^`]|``)*`|[^.]+", text)
    if len(parts) == 1:
        return (_unquote(parts[0]), "*") if parts[0] != "*" else ("*", "*")
    return _unquote(parts[0]), _unquote(".".join(parts[1:]))


def parse_privileges(clause: str) -> list[Privilege]:
    """``<privileges> ON <object>`` (a ``users.grants`` clause) as Privileges."""
    privileges, _, target = clause.rpartition(" ON ")
    return _privileges(privileges, target)


def _privileges(privileges: str, target: str) -> list[Privilege]:
    database, table = _object(target)
    found = []
    for item in split_top_level(privileges):
        name, _, columns = item.partition("(")
        name = " ".join(name.upper().split())
        name = ALIASES.get(name, name)
        cols = tuple(_unquote(c) for c in split_top_level(columns.rstrip(")"))) if columns else ()
        found.append(Privilege(name, database, table, cols))
    return found


def parse_show_grants(lines: list[str]) -> tuple[list[Privilege], list[Privilege], list[str]]:
    """(granted, revoked, roles) from ``SHOW GRANTS`` lines; role grants have no ``ON``."""
    granted, revoked, roles = [], [], []
    for raw in lines:
        line = raw.strip().rstrip(";")
        match = STATEMENT.match(line)
        if match is None:
            if line.upper().startswith("GRANT "):
                roles.append(line[6:].rpartition(" TO ")[0].strip())
            continue
        found = _privileges(match["privileges"], match["object"])
        (granted if match["verb"].upper() == "GRANT" else revoked).extend(found)
    return granted, revoked, roles


@dataclass(frozen=True)
class GrantComparison:
    """Needed privileges not held, and held privileges nothing needs."""

    missing: list[Privilege]
    extra: list[Privilege]
    roles: list[str]


def compare_grants(show_grants: list[str], needed_clauses: list[str]) -> GrantComparison:
    """Compare the user's ``SHOW GRANTS`` lines with the clauses of ``users.grants()``."""
    granted, revoked, roles = parse_show_grants(show_grants)
    needed = [p for clause in needed_clauses for p in parse_privileges(clause)]
    missing = [
        need
        for need in needed
        if not any(g.covers(need) for g in granted) or any(r.overlaps(need) for r in revoked)
    ]
    extra = [g for g in granted if not any(need.covers(g) for need in needed)]
    return GrantComparison(missing, extra, roles)
