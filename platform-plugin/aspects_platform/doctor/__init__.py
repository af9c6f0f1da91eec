"""``aspects_doctor``: is this Aspects deployment healthy? One line per finding.

Each check is a small function (``CHECKS``, in report order) that yields findings. One failing
check never stops the others: a check that needs ClickHouse while it is unreachable reports
"not checked: ClickHouse unreachable" (a warning; the ``clickhouse`` line is the error), and
any other failure of a check becomes an error line naming it.
"""

from __future__ import annotations

from aspects_platform.doctor import clickhouse_checks, lms_checks, pipeline_checks
from aspects_platform.doctor.context import ClickHouseUnreachable, DoctorContext
from aspects_platform.doctor.findings import ERROR, WARNING, Finding, one_line

CHECKS = (
    clickhouse_checks.reachable,
    clickhouse_checks.grants,
    clickhouse_checks.schema,
    clickhouse_checks.migrations,
    lms_checks.sinks,
    lms_checks.counts,
    lms_checks.outlines,
    lms_checks.retirements,
    pipeline_checks.xapi_lag,
    pipeline_checks.ralph,
    pipeline_checks.superset,
    pipeline_checks.superset_dashboards,
)


def run_checks(ctx: DoctorContext) -> list[Finding]:
    """Every check's findings, in order; never raises for a failing check."""
    findings: list[Finding] = []
    for function in CHECKS:
        name = function.check_name
        try:
            found = list(function(ctx))
        except ClickHouseUnreachable:
            found = [
                Finding(
                    name, WARNING, "not checked: ClickHouse unreachable", "see the clickhouse line"
                )
            ]
        except Exception as exc:  # noqa: BLE001 - reported as this check's error line
            found = [
                Finding(name, ERROR, f"the check failed: {type(exc).__name__}: {one_line(exc)}")
            ]
        findings += [
            Finding(f.check, f.status, ctx.scrub(f.message), ctx.scrub(f.action)) for f in found
        ]
    return findings


__all__ = ["CHECKS", "DoctorContext", "Finding", "run_checks"]
