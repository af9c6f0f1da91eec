"""The import bundle: our datasets, charts and dashboards as Superset's asset YAML files.

``build(settings)`` returns the document the init job reads: ``files`` (bundle path -> YAML
text, as ``ImportAssetsCommand`` takes them), ``database_file`` (the file whose password the
job supplies from its environment) and ``embedded`` (dashboard uuid -> allowed domains). Each
``allow_translations`` dashboard gets one copy per extra locale (``locale_uuid``, slug
``<slug>-<locale>``); copies of an embedded dashboard are embedded too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from .model import Chart, Dashboard, Dataset, Metric, asset_uuid, locale_uuid

VERSION = "1.0.0"
DATABASE_NAME = "Aspects ClickHouse"
DATABASE_FILE = "databases/aspects_clickhouse.yaml"
#: What Superset writes in place of a password in an exported URI (the job supplies the real one).
MASKED_PASSWORD = "XXXXXXXXXX"
#: Dashboard grid width (Superset's is 12 columns) and a chart's height in grid units.
GRID_WIDTH = 12
CHART_HEIGHT = 50


@dataclass(frozen=True)
class BundleSettings:
    """What varies per deployment. ``clickhouse_url`` is ``http(s)://host:port``."""

    clickhouse_url: str
    clickhouse_user: str
    reporting_database: str = "reporting"
    event_sink_database: str = "event_sink"
    xapi_database: str = "xapi"
    xapi_table: str = "xapi_events_all"
    locales: tuple[str, ...] = ("en",)
    allowed_domains: tuple[str, ...] = ()

    @property
    def sqlalchemy_uri(self) -> str:
        """clickhouse-connect's dialect URI, password masked (``passwords`` fills it in)."""
        scheme, _, address = self.clickhouse_url.partition("://")
        secure = "?secure=true" if scheme == "https" else ""
        return (
            f"clickhousedb://{self.clickhouse_user}:{MASKED_PASSWORD}@{address.rstrip('/')}"
            f"/{self.reporting_database}{secure}"
        )

    def database_name(self, key: str) -> str:
        """The deployment's name of the database ``key`` (reporting, event_sink or xapi)."""
        names = {
            "reporting": self.reporting_database,
            "event_sink": self.event_sink_database,
            "xapi": self.xapi_database,
        }
        if key not in names:
            raise ValueError(f"unknown database {key!r}; one of {sorted(names)}")
        return names[key]

    def sql(self, dataset: Dataset) -> str:
        return dataset.sql.format(
            reporting=self.reporting_database,
            event_sink=self.event_sink_database,
            xapi=self.xapi_database,
            xapi_table=self.xapi_table,
        )


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _database(settings: BundleSettings) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": settings.sqlalchemy_uri,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "uuid": database_uuid(),
        "version": VERSION,
    }


def database_uuid() -> str:
    return asset_uuid("database", "clickhouse")


def _dataset(dataset: Dataset, settings: BundleSettings) -> dict[str, Any]:
    return {
        "table_name": dataset.key,
        "main_dttm_col": dataset.main_dttm_col,
        "description": dataset.description or None,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        # ClickHouse's engine spec switches the connection's database to the dataset's schema.
        "schema": settings.database_name(dataset.database),
        "sql": settings.sql(dataset),
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": dataset.uuid,
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "COUNT(*)",
                "metric_type": "count",
                "expression": "count()",
                "description": None,
                "d3format": None,
                "extra": {},
                "warning_text": None,
            }
        ],
        "columns": [
            {
                "column_name": column.name,
                "verbose_name": column.verbose_name,
                "is_dttm": column.is_dttm,
                "is_active": True,
                "type": column.type,
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": {},
            }
            for column in dataset.columns
        ],
        "version": VERSION,
        "database_uuid": database_uuid(),
    }


def _adhoc_metric(metric: Metric) -> dict[str, Any]:
    return {
        "expressionType": "SQL",
        "sqlExpression": metric.expression,
        "label": metric.label,
        "hasCustomLabel": True,
        "optionName": f"metric_{asset_uuid('metric', metric.label)[:8]}",
    }


def _x_axis_column(chart: Chart) -> dict[str, Any]:
    column: dict[str, Any] = {
        "columnType": "BASE_AXIS",
        "sqlExpression": chart.x_axis,
        "label": chart.x_axis,
        "expressionType": "SQL",
    }
    if chart.time_grain:
        column["timeGrain"] = chart.time_grain
    return column


def form_data(chart: Chart) -> dict[str, Any]:
    """The chart's ``params`` (Explore's form data) from what it shows."""
    data: dict[str, Any] = {
        "viz_type": chart.viz_type,
        "adhoc_filters": [],
        "row_limit": chart.row_limit,
    }
    metrics = [_adhoc_metric(metric) for metric in chart.metrics]
    if chart.viz_type == "table":
        if chart.columns:
            data.update(query_mode="raw", all_columns=list(chart.columns))
        else:
            data.update(query_mode="aggregate", groupby=list(chart.groupby), metrics=metrics)
    elif chart.viz_type == "big_number_total":
        data.update(metric=metrics[0], header_font_size=0.4, subheader_font_size=0.15)
    elif chart.viz_type == "pie":
        data.update(metric=metrics[0], groupby=list(chart.groupby), show_legend=True)
    else:  # echarts_timeseries_*
        data.update(metrics=metrics, groupby=list(chart.groupby), x_axis=chart.x_axis)
        if chart.viz_type == "echarts_timeseries_line":
            # A series of one point (a course's first day) draws no line: show the points.
            data["markerEnabled"] = True
        if chart.time_grain:
            data["time_grain_sqla"] = chart.time_grain
    data.update(chart.params)
    return data


def _query(chart: Chart, data: dict[str, Any]) -> dict[str, Any]:
    """The one query a chart of this shape sends to ``/api/v1/chart/data``."""
    metrics: list[Any] = []
    columns: list[Any] = []
    post_processing: list[dict[str, Any]] = []
    orderby: list[Any] = []
    if chart.viz_type == "table" and chart.columns:
        columns = list(chart.columns)
    elif chart.viz_type in ("table", "pie"):
        columns = list(chart.groupby)
        metrics = list(data.get("metrics") or [data["metric"]])
        orderby = [[metrics[0], False]]
    elif chart.viz_type == "big_number_total":
        metrics = [data["metric"]]
    else:
        metrics = list(data["metrics"])
        columns = [_x_axis_column(chart), *chart.groupby]
        labels = [metric["label"] for metric in metrics]
        post_processing = [
            {
                "operation": "pivot",
                "options": {
                    "index": [chart.x_axis],
                    "columns": list(chart.groupby),
                    "aggregates": {label: {"operator": "mean"} for label in labels},
                    "drop_missing_columns": False,
                },
            },
            {"operation": "flatten"},
        ]
    return {
        "filters": [],
        "extras": {"having": "", "where": ""},
        "applied_time_extras": {},
        "columns": columns,
        "metrics": metrics,
        "orderby": orderby,
        "annotation_layers": [],
        "row_limit": chart.row_limit,
        "series_limit": 0,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "post_processing": post_processing,
    }


def query_context(chart: Chart, data: dict[str, Any]) -> dict[str, Any]:
    """The saved query context: what the chart data API runs for this chart.

    The datasource id is a placeholder: the import replaces it with the dataset's id.
    """
    return {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [_query(chart, data)],
        "form_data": data,
        "result_format": "json",
        "result_type": "full",
    }


def _chart(chart: Chart, datasets: dict[str, Dataset]) -> dict[str, Any]:
    if chart.dataset not in datasets:
        raise ValueError(
            f"chart {chart.key}: unknown dataset {chart.dataset!r}; one of {sorted(datasets)}"
        )
    data = form_data(chart)
    return {
        "slice_name": chart.title,
        "description": chart.description or None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": chart.viz_type,
        "params": data,
        "query_context": json.dumps(query_context(chart, data)),
        "cache_timeout": None,
        "uuid": chart.uuid,
        "version": VERSION,
        "dataset_uuid": datasets[chart.dataset].uuid,
    }


def _position(dashboard: Dashboard, charts: dict[str, Chart]) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dashboard.title}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    chart_id = 0
    for row_index, row in enumerate(dashboard.rows):
        row_id = f"ROW-{row_index}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        width = max(1, GRID_WIDTH // max(1, len(row)))
        for key in row:
            if key not in charts:
                raise ValueError(
                    f"dashboard {dashboard.key}: unknown chart {key!r}; one of {sorted(charts)}"
                )
            chart_id += 1
            node_id = f"CHART-{key}"
            position[row_id]["children"].append(node_id)
            position[node_id] = {
                "type": "CHART",
                "id": node_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "width": width,
                    "height": CHART_HEIGHT,
                    "chartId": chart_id,  # replaced by the real id on import
                    "uuid": charts[key].uuid,
                    "sliceName": charts[key].title,
                },
            }
    return position


def _dashboard(
    dashboard: Dashboard, charts: dict[str, Chart], uuid: str, slug: str, title: str
) -> dict[str, Any]:
    return {
        "dashboard_title": title,
        "description": dashboard.description or None,
        "css": "",
        "slug": slug,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": uuid,
        "position": _position(dashboard, charts),
        "metadata": {
            "color_scheme": "",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": False,
            "native_filter_configuration": [],
            "chart_configuration": {},
        },
        "version": VERSION,
    }


@dataclass(frozen=True)
class DashboardCopy:
    """One dashboard as Superset will hold it: the base or a locale copy."""

    dashboard: Dashboard
    locale: str
    uuid: str
    slug: str
    title: str


def dashboard_copies(
    dashboards: Iterable[Dashboard], locales: Iterable[str]
) -> list[DashboardCopy]:
    """Every dashboard, then its copy per extra locale when it allows translations."""
    locales = list(dict.fromkeys(locales))
    copies = []
    for dashboard in dashboards:
        copies.append(
            DashboardCopy(dashboard, "en", dashboard.uuid, dashboard.slug, dashboard.title)
        )
        if not dashboard.allow_translations:
            continue
        for locale in locales:
            if locale == "en":
                continue
            copies.append(
                DashboardCopy(
                    dashboard,
                    locale,
                    locale_uuid(dashboard.uuid, locale),
                    f"{dashboard.slug}-{locale}",
                    f"{dashboard.title} ({locale})",
                )
            )
    return copies


def _check_unique(kind: str, keys: Iterable[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"two {kind} share the key {key!r}")
        seen.add(key)


def build(
    settings: BundleSettings,
    datasets: Iterable[Dataset] | None = None,
    charts: Iterable[Chart] | None = None,
    dashboards: Iterable[Dashboard] | None = None,
) -> dict[str, Any]:
    """The bundle document for ``settings`` (our shipped content unless given)."""
    if datasets is None or charts is None or dashboards is None:
        from . import content

        datasets = content.DATASETS if datasets is None else datasets
        charts = content.CHARTS if charts is None else charts
        dashboards = content.DASHBOARDS if dashboards is None else dashboards
    datasets, charts, dashboards = list(datasets), list(charts), list(dashboards)
    for kind, items in (("datasets", datasets), ("charts", charts), ("dashboards", dashboards)):
        _check_unique(kind, (item.key for item in items))
    by_dataset = {dataset.key: dataset for dataset in datasets}
    by_chart = {chart.key: chart for chart in charts}
    files = {
        "metadata.yaml": _yaml({"version": VERSION, "type": "assets"}),
        DATABASE_FILE: _yaml(_database(settings)),
    }
    for dataset in datasets:
        path = f"datasets/aspects_clickhouse/{dataset.key}.yaml"
        files[path] = _yaml(_dataset(dataset, settings))
    for chart in charts:
        files[f"charts/{chart.key}.yaml"] = _yaml(_chart(chart, by_dataset))
    embedded: dict[str, list[str]] = {}
    copies = dashboard_copies(dashboards, settings.locales)
    _check_unique("dashboard copies (slug)", (copy.slug for copy in copies))
    for copy in copies:
        document = _dashboard(copy.dashboard, by_chart, copy.uuid, copy.slug, copy.title)
        files[f"dashboards/{copy.slug}.yaml"] = _yaml(document)
        if copy.dashboard.embedded:
            embedded[copy.uuid] = list(settings.allowed_domains)
    return {"files": files, "database_file": DATABASE_FILE, "embedded": embedded}
