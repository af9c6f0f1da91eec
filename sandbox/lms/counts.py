"""Sandbox-side vs ClickHouse-side counts, one line per sink table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aspects_platform.clickhouse.identifiers import quote_identifier


def published_blocks() -> int:
    """Blocks on the published branch of every course in the sandbox modulestore."""
    from xmodule.modulestore import ModuleStoreEnum
    from xmodule.modulestore.django import modulestore
    from xmodule.modulestore.models import CourseIndex

    store = modulestore()
    keys = CourseIndex.objects.values_list("course_key", flat=True)
    revision = ModuleStoreEnum.RevisionOption.published_only
    return sum(len(store.get_items(key, revision=revision)) for key in keys)


# table -> (ClickHouse expression counting distinct objects, sandbox model label or counter)
# Distinct keys, because sink tables keep history: each dump or publish appends rows.
TABLE_KEYS: dict[str, tuple[str, str | Callable[[], int]]] = {
    "course_overviews": ("uniqExact(course_key)", "course_overviews.CourseOverview"),
    "course_blocks": ("uniqExact(course_key, location)", published_blocks),
    "user_profile": ("uniqExact(id)", "student.UserProfile"),
    "external_id": ("uniqExact(external_user_id)", "external_user_ids.ExternalId"),
    "course_enrollment": ("uniqExact(id)", "student.CourseEnrollment"),
}


@dataclass(frozen=True)
class TableCount:
    """One table's figures."""

    table: str
    sandbox: int
    clickhouse_distinct: int
    clickhouse_rows: int

    @property
    def ok(self) -> bool:
        """True when ClickHouse holds every sandbox object and nothing else."""
        return self.sandbox == self.clickhouse_distinct


def count_tables(client, database: str, tables: dict = TABLE_KEYS) -> list[TableCount]:
    """Count each table in the sandbox DB and (distinct objects, rows) in ClickHouse."""
    from django.apps import apps

    results = []
    for table, (distinct_expr, label) in tables.items():
        sandbox = label() if callable(label) else apps.get_model(label).objects.count()
        name = f"{quote_identifier(database)}.{quote_identifier(table)}"
        distinct, rows = client.query(
            f"SELECT {distinct_expr}, count() FROM {name}"  # noqa: S608 - validated identifiers
        ).result_rows[0]
        results.append(TableCount(table, sandbox, int(distinct), int(rows)))
    return results


def format_counts(counts: list[TableCount]) -> str:
    """A small fixed-width table with OK/MISMATCH per line."""
    header = f"{'table':<20}{'sandbox':>10}{'clickhouse':>12}{'rows':>10}  status"
    lines = [header, "-" * len(header)]
    for c in counts:
        status = "OK" if c.ok else "MISMATCH"
        lines.append(
            f"{c.table:<20}{c.sandbox:>10}{c.clickhouse_distinct:>12}{c.clickhouse_rows:>10}"
            f"  {status}"
        )
    return "\n".join(lines)
