"""ClickHouse checks: reachable as the LMS's user, that user's grants, tables, migrations."""

from __future__ import annotations

from collections.abc import Iterator

from aspects_platform import backend
from aspects_platform.clickhouse import users
from aspects_platform.clickhouse.expected_schema import expected_tables, normalise_type
from aspects_platform.clickhouse.runner import MIGRATIONS_TABLE, applied_migrations
from aspects_platform.clickhouse.schema import load_migrations
from aspects_platform.doctor.context import ClickHouseUnreachable, DoctorContext
from aspects_platform.doctor.findings import ERROR, OK, WARNING, Finding, check, one_line
from aspects_platform.doctor.grants import compare_grants

INIT = "re-run the ClickHouse init: `tutor local do init-clickhouse`"
AUTHENTICATION_FAILED = 516


@check("clickhouse")
def reachable(ctx: DoctorContext) -> Iterator[Finding]:
    """ClickHouse answers with the LMS's own user (EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG)."""
    where = f"{ctx.url} as {ctx.username}"
    try:
        client = ctx.client()
    except ClickHouseUnreachable:
        error = ctx.connect_error
        found = f"cannot reach {where}"
        if error is not None and backend.error_code(error) == AUTHENTICATION_FAILED:
            found = f"{where} refused"
            action = (
                "check EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG username/password "
                f"(ASPECTS_CLICKHOUSE_LMS_USER/_PASSWORD), then {INIT}"
            )
        else:
            action = (
                "start ClickHouse (`tutor local start clickhouse`) or fix "
                "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG['url'] (ASPECTS_CLICKHOUSE_HOST/_HTTP_PORT)"
            )
        yield Finding("clickhouse", ERROR, f"{found}: {one_line(error)}", action)
        return
    version = client.query("SELECT version()").result_rows[0][0]
    yield Finding("clickhouse", OK, f"ClickHouse {version} answers at {where}")


@check("grants")
def grants(ctx: DoctorContext) -> Iterator[Finding]:
    """The LMS user's SHOW GRANTS against users.grants("lms", ...)."""
    client = ctx.client()
    current = client.query("SELECT currentUser()").result_rows[0][0]
    if current != ctx.username:
        yield Finding(
            "grants",
            WARNING,
            f"this ClickHouse does not apply per-user grants: logged in as {ctx.username}, "
            f"queries run as {current}",
            "check the grants against a ClickHouse server (the embedded sandbox server has no "
            "access control)",
        )
        return
    lines = [row[0] for row in client.query("SHOW GRANTS").result_rows]
    compared = compare_grants(lines, users.grants("lms", ctx.schema))
    via_roles = f" (roles not expanded: {', '.join(compared.roles)})" if compared.roles else ""
    if compared.missing:
        missing = "; ".join(map(str, compared.missing))
        yield Finding(
            "grants",
            ERROR,
            f"{ctx.username} lacks: {missing}{via_roles}",
            f"{INIT}; it grants what the LMS needs",
        )
    elif compared.extra:
        extra = "; ".join(map(str, compared.extra))
        yield Finding(
            "grants",
            WARNING,
            f"{ctx.username} has every privilege it needs, and more: {extra}",
            f"revoke what it does not need (REVOKE ... FROM {ctx.username})",
        )
    else:
        yield Finding("grants", OK, f"{ctx.username} has exactly the privileges the LMS needs")


def _actual_columns(client, databases: list[str]) -> dict[tuple[str, str], dict[str, str]]:
    rows = client.query(
        "SELECT database, table, name, type FROM system.columns "
        "WHERE database IN {dbs:Array(String)} ORDER BY database, table, position",
        parameters={"dbs": databases},
    ).result_rows
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for database, table, name, type_name in rows:
        tables.setdefault((database, table), {})[name] = type_name
    return tables


@check("schema")
def schema(ctx: DoctorContext) -> Iterator[Finding]:
    """Every table and column (name, type) as the shipped migrations define them."""
    settings = ctx.schema
    expected = expected_tables(load_migrations(), settings)
    databases = sorted({database for database, _ in expected})
    actual = _actual_columns(ctx.client(), databases)
    problems, extras = [], []
    for (database, table), columns in expected.items():
        name = f"{database}.{table}"
        found = actual.get((database, table))
        if found is None:
            problems.append(f"{name} is missing")
            continue
        for column, type_name in columns.items():
            if column not in found:
                problems.append(f"{name}.{column} ({type_name}) is missing")
            elif normalise_type(found[column]) != type_name:
                problems.append(f"{name}.{column} is {found[column]}, not {type_name}")
        extras += [f"{name}.{column}" for column in found if column not in columns]
    count = sum(len(columns) for columns in expected.values())
    if problems:
        yield Finding("schema", ERROR, "; ".join(problems), INIT)
    elif extras:
        yield Finding(
            "schema",
            WARNING,
            f"{len(expected)} tables as the migrations define them, plus columns they do not "
            f"define: {', '.join(extras)}",
            "nothing writes them; drop them if no one else needs them",
        )
    else:
        yield Finding(
            "schema", OK, f"{len(expected)} tables, {count} columns as the migrations define them"
        )


@check("migrations")
def migrations(ctx: DoctorContext) -> Iterator[Finding]:
    """Applied migrations (the migrations table) against the shipped ones."""
    shipped = load_migrations()
    try:
        applied = applied_migrations(ctx.client(), ctx.schema)
    except ClickHouseUnreachable:
        raise
    except Exception as exc:  # noqa: BLE001 - no migrations table: nothing applied
        yield Finding("migrations", ERROR, f"cannot read {MIGRATIONS_TABLE}: {one_line(exc)}", INIT)
        return
    names = {m.version: f"{m.version:04d}_{m.name}" for m in shipped}
    pending = [names[m.version] for m in shipped if m.version not in applied]
    changed = [
        names[m.version]
        for m in shipped
        if m.version in applied and applied[m.version].checksum != m.checksum
    ]
    unknown = [f"{a.version:04d}_{a.name}" for v, a in applied.items() if v not in names]
    if changed:
        yield Finding(
            "migrations",
            ERROR,
            f"applied migrations whose file changed since: {', '.join(changed)}",
            "reinstall the release that applied them; never edit an applied migration",
        )
    if pending:
        yield Finding("migrations", ERROR, f"pending: {', '.join(pending)}", INIT)
    if unknown:
        yield Finding(
            "migrations",
            WARNING,
            f"applied but not shipped with this release: {', '.join(unknown)}",
            "upgrade the in-platform app to the release that ran them",
        )
    if not (changed or pending or unknown):
        yield Finding("migrations", OK, f"all {len(shipped)} migrations applied")
