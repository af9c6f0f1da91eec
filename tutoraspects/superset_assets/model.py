"""The shapes of our Superset assets. Content lives in ``datasets``/``charts``/``dashboards``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

#: Namespace of every asset UUID we derive (uuid5 of this and the asset's key).
ASPECTS_NAMESPACE = uuid.UUID("5b7a3f0e-6a51-4f55-9c3b-2b7f1d4c8e10")


def asset_uuid(kind: str, key: str) -> str:
    """A stable UUID for the asset ``key`` of ``kind`` (dataset, chart, dashboard)."""
    return str(uuid.uuid5(ASPECTS_NAMESPACE, f"{kind}:{key}"))


def locale_uuid(base_uuid: str, locale: str) -> str:
    """The UUID of the ``locale`` copy of an asset (``en`` keeps the base UUID)."""
    if locale == "en":
        return base_uuid
    return str(uuid.uuid5(uuid.UUID(base_uuid), f"locale:{locale}"))


@dataclass(frozen=True)
class Column:
    """One dataset column as Superset lists it (import does not introspect)."""

    name: str
    type: str  # the ClickHouse type, e.g. "String", "DateTime64(6, 'UTC')", "UInt64"
    is_dttm: bool = False
    verbose_name: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A virtual dataset: one SQL query over the reporting schema.

    ``sql`` may use ``{reporting}``, ``{event_sink}`` and ``{xapi}`` for database names (filled
    in by the bundle builder). Every dataset an embedded dashboard reads has ``org`` and
    ``course_key`` columns: guest-token RLS filters on them.
    """

    key: str
    title: str
    sql: str
    columns: tuple[Column, ...]
    description: str = ""
    main_dttm_col: str | None = None
    #: The database Superset runs the query in (its "schema"): reporting, event_sink or xapi.
    database: str = "reporting"

    @property
    def uuid(self) -> str:
        return asset_uuid("dataset", self.key)


@dataclass(frozen=True)
class Metric:
    """An aggregate a chart shows: ``expression`` is ClickHouse SQL over the dataset's columns."""

    label: str
    expression: str


#: The chart types the bundle builder knows how to turn into form_data and a query_context.
VIZ_TYPES = (
    "table",  # raw rows (``columns``) or aggregated (``groupby`` + ``metrics``)
    "big_number_total",  # one metric
    "pie",  # one metric by ``groupby``
    "echarts_timeseries_bar",  # metrics over x_axis (time or category), split by groupby
    "echarts_timeseries_line",  # same, as lines
)


@dataclass(frozen=True)
class Chart:
    """One chart on one dataset, described by what it shows (the builder writes form_data).

    ``params`` are extra form_data keys merged last (colours, labels, sorting options).
    """

    key: str
    title: str
    dataset: str  # a Dataset key
    viz_type: str  # one of VIZ_TYPES
    metrics: tuple[Metric, ...] = ()
    groupby: tuple[str, ...] = ()
    x_axis: str | None = None
    time_grain: str | None = None  # e.g. "P1D", "P1W" when x_axis is a time column
    columns: tuple[str, ...] = ()  # raw "table" charts: the columns shown
    row_limit: int = 1000
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if self.viz_type not in VIZ_TYPES:
            raise ValueError(
                f"chart {self.key}: unknown viz_type {self.viz_type!r}; one of {VIZ_TYPES}"
            )

    @property
    def uuid(self) -> str:
        return asset_uuid("chart", self.key)


@dataclass(frozen=True)
class Dashboard:
    """A dashboard: rows of chart keys, laid out left to right.

    ``uuid`` is fixed for the instructor dashboards (``ASPECTS_INSTRUCTOR_DASHBOARDS``) and
    derived from ``key`` otherwise. ``allow_translations`` dashboards get one copy per
    ``SUPERSET_DASHBOARD_LOCALES`` entry at ``locale_uuid(uuid, locale)``, slug ``<slug>-<locale>``.
    ``embedded`` dashboards get an embedded entry whose uuid equals the dashboard's.
    """

    key: str
    title: str
    slug: str
    rows: tuple[tuple[str, ...], ...]
    fixed_uuid: str | None = None
    allow_translations: bool = False
    embedded: bool = False
    description: str = ""

    @property
    def uuid(self) -> str:
        return self.fixed_uuid or asset_uuid("dashboard", self.key)
