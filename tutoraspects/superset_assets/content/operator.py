"""The operator assets: is data arriving? (rows per sink table, last dump, xAPI lag, load tests).

Operator-only: read by Superset admins, never embedded. The datasets read the operator views of
the reporting database (migration 0011: counts and timestamps only, no learner column), which
run with their creator's rights, so Superset's read-only ClickHouse user needs no grant on the
sink or xAPI tables.
"""

from __future__ import annotations

from ..model import Chart, Column, Dashboard, Dataset, Metric

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        key="operator_sink_tables",
        title="Sink tables",
        description="Rows and last dump time of each table the LMS/CMS sinks write.",
        sql="SELECT table_name, row_count, last_dumped FROM {reporting}.operator_table_rows",
        columns=(
            Column("table_name", "String"),
            Column("row_count", "UInt64"),
            Column("last_dumped", "DateTime64(6, 'UTC')", is_dttm=True),
        ),
    ),
    Dataset(
        key="operator_xapi_hourly",
        title="xAPI statements per hour",
        description="Statements Ralph wrote, per hour of emission, with the newest per hour.",
        sql="SELECT hour, statements, newest FROM {reporting}.operator_xapi_hourly",
        columns=(
            Column("hour", "DateTime('UTC')", is_dttm=True),
            Column("statements", "UInt64"),
            Column("newest", "DateTime64(6, 'UTC')", is_dttm=True),
        ),
        main_dttm_col="hour",
    ),
    Dataset(
        key="operator_load_test_runs",
        title="Load-test runs",
        description="One row per load-test run (`tutor local do load-test`).",
        sql=(
            "SELECT run_id, started, last_seen, run_events, event_types "
            "FROM {reporting}.operator_load_test_runs"
        ),
        columns=(
            Column("run_id", "String"),
            Column("started", "DateTime64(6, 'UTC')", is_dttm=True),
            Column("last_seen", "DateTime64(6, 'UTC')", is_dttm=True),
            Column("run_events", "UInt64"),
            Column("event_types", "Array(String)"),
        ),
        main_dttm_col="started",
    ),
)

CHARTS: tuple[Chart, ...] = (
    Chart(
        key="operator_rows_per_table",
        title="Rows per sink table",
        dataset="operator_sink_tables",
        viz_type="table",
        columns=("table_name", "row_count", "last_dumped"),
    ),
    Chart(
        key="operator_rows_per_table_bar",
        title="Rows per sink table (chart)",
        dataset="operator_sink_tables",
        viz_type="echarts_timeseries_bar",
        metrics=(Metric("Rows", "sum(row_count)"),),
        x_axis="table_name",
    ),
    Chart(
        key="operator_minutes_since_last_dump",
        title="Minutes since the last dump",
        dataset="operator_sink_tables",
        viz_type="big_number_total",
        metrics=(Metric("Minutes", "dateDiff('minute', max(last_dumped), now64(6))"),),
    ),
    Chart(
        key="operator_xapi_lag",
        title="xAPI lag: seconds since the newest statement",
        dataset="operator_xapi_hourly",
        viz_type="big_number_total",
        metrics=(Metric("Seconds", "dateDiff('second', max(newest), now64(6))"),),
    ),
    Chart(
        key="operator_xapi_statements_per_hour",
        title="xAPI statements per hour",
        dataset="operator_xapi_hourly",
        viz_type="echarts_timeseries_bar",
        metrics=(Metric("Statements", "sum(statements)"),),
        x_axis="hour",
        time_grain="PT1H",
    ),
    Chart(
        key="operator_load_test_runs",
        title="Load-test runs",
        dataset="operator_load_test_runs",
        viz_type="table",
        columns=("run_id", "started", "last_seen", "run_events"),
    ),
)

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        key="operator",
        title="Aspects Operator Dashboard",
        slug="aspects-operator",
        description="Is data arriving: sink tables, xAPI lag, load-test runs.",
        rows=(
            ("operator_rows_per_table", "operator_rows_per_table_bar"),
            (
                "operator_minutes_since_last_dump",
                "operator_xapi_lag",
                "operator_xapi_statements_per_hour",
            ),
            ("operator_load_test_runs",),
        ),
    ),
)
