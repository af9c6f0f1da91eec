"""The SQL Superset sends for a chart, derived from our Chart and Dataset (for tests, benchmarks).

Superset wraps a virtual dataset's SQL as a subquery (``FROM (<sql>) AS virtual_table``), puts
the guest token's RLS clause in the outer ``WHERE``, selects the chart's groupby columns (the
x axis truncated to its time grain by the ClickHouse engine spec) and metrics, groups, orders
by the first metric and limits. Here the RLS clause is a bound one (``org = {org:String} AND
course_key = {course_key:String}``): same filter, no quoting.
"""

from __future__ import annotations

import re

from .model import Chart, Dataset

#: Database placeholders a Dataset's SQL may use.
DATABASE_PLACEHOLDERS = ("reporting", "event_sink", "xapi")
#: Superset's ClickHouse engine spec: time grain -> expression over ``{col}``.
TIME_GRAINS = {
    "PT1H": "toStartOfHour(toDateTime({col}))",
    "P1D": "toStartOfDay(toDateTime({col}))",
    "P1W": "toMonday(toDateTime({col}))",
    "P1M": "toStartOfMonth(toDateTime({col}))",
    "P3M": "toStartOfQuarter(toDateTime({col}))",
    "P1Y": "toStartOfYear(toDateTime({col}))",
}
#: The guest token's RLS rule (``org`` and ``course_key`` of one course), as bound parameters.
RLS_CLAUSE = "org = {org:String} AND course_key = {course_key:String}"
#: Superset's label for a time column truncated to a grain.
DTTM_ALIAS = "`__timestamp`"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(name: str) -> str:
    """A column name as Superset's ClickHouse dialect writes it (back-quoted)."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a plain column name: {name!r}")
    return f"`{name}`"


def dataset_sql(dataset: Dataset, databases: dict[str, str]) -> str:
    """The dataset's SQL with ``{reporting}``/``{event_sink}``/``{xapi}`` filled in (quoted)."""
    missing = [name for name in DATABASE_PLACEHOLDERS if name not in databases]
    if missing:
        raise ValueError(
            f"no database name given for {missing}; give all of {DATABASE_PLACEHOLDERS}"
        )
    sql = dataset.sql
    for name in DATABASE_PLACEHOLDERS:
        sql = sql.replace("{" + name + "}", quote(databases[name]))
    return sql.strip().rstrip(";")


def _x_axis(chart: Chart) -> str | None:
    if chart.x_axis is None:
        return None
    if chart.time_grain is None:
        return quote(chart.x_axis)
    if chart.time_grain not in TIME_GRAINS:
        raise ValueError(
            f"chart {chart.key}: unknown time grain {chart.time_grain!r}; "
            f"one of {sorted(TIME_GRAINS)}"
        )
    return TIME_GRAINS[chart.time_grain].format(col=quote(chart.x_axis))


def chart_query(chart: Chart, dataset: Dataset, databases: dict[str, str]) -> str:
    """The SELECT Superset runs for ``chart`` over ``dataset``, filtered to one course.

    Parameters: ``org`` and ``course_key`` (the RLS rule of a guest token).
    """
    if chart.dataset != dataset.key:
        raise ValueError(f"chart {chart.key} reads dataset {chart.dataset}, not {dataset.key}")
    source = f"FROM (\n{dataset_sql(dataset, databases)}\n) AS virtual_table\nWHERE {RLS_CLAUSE}"
    if not chart.metrics:  # raw rows
        columns = ", ".join(quote(name) for name in chart.columns) or "*"
        return f"SELECT {columns}\n{source}\nLIMIT {int(chart.row_limit)}"
    dimensions = []
    x_axis = _x_axis(chart)
    if x_axis is not None:
        # A truncated time column gets Superset's time alias: its own name would shadow the
        # column inside the expression in ClickHouse (NOT_AN_AGGREGATE).
        alias = quote(chart.x_axis) if chart.time_grain is None else DTTM_ALIAS
        dimensions.append((x_axis, alias))
    dimensions += [(quote(name), quote(name)) for name in chart.groupby]
    selected = [f"{expression} AS {alias}" for expression, alias in dimensions]
    selected += [f"{metric.expression} AS `{_label(metric.label)}`" for metric in chart.metrics]
    query = f"SELECT {', '.join(selected)}\n{source}"
    if dimensions:
        query += "\nGROUP BY " + ", ".join(expression for expression, _ in dimensions)
        query += f"\nORDER BY `{_label(chart.metrics[0].label)}` DESC"
    return f"{query}\nLIMIT {int(chart.row_limit)}"


def _label(label: str) -> str:
    """A metric label usable inside back-quotes."""
    return label.replace("\\", "\\\\").replace("`", "\\`")
