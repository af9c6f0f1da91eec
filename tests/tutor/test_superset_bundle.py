"""The asset bundle builder: charts carry a query context, locale copies, lazy rendering."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tutoraspects.superset_assets.bundle import BundleSettings, build, dashboard_copies
from tutoraspects.superset_assets.model import (
    Chart,
    Column,
    Dashboard,
    Dataset,
    Metric,
    locale_uuid,
)

SETTINGS = BundleSettings(
    clickhouse_url="https://ch.example.org:8443",
    clickhouse_user="ch_superset",
    locales=("en", "fr", "es"),
    allowed_domains=("https://lms.example.org",),
)
DATASET = Dataset(
    key="events",
    title="Events",
    sql="SELECT * FROM {reporting}.events",
    columns=(Column("day", "Date", is_dttm=True), Column("org", "String"), Column("n", "UInt64")),
)
CHARTS = (
    Chart(
        key="per_day",
        title="Per day",
        dataset="events",
        viz_type="echarts_timeseries_bar",
        metrics=(Metric("Events", "sum(n)"),),
        groupby=("org",),
        x_axis="day",
        time_grain="P1D",
    ),
    Chart(key="rows", title="Rows", dataset="events", viz_type="table", columns=("day", "n")),
    Chart(
        key="total",
        title="Total",
        dataset="events",
        viz_type="big_number_total",
        metrics=(Metric("Events", "sum(n)"),),
    ),
)
DASHBOARDS = (
    Dashboard(
        key="course",
        title="Course",
        slug="course",
        rows=(("per_day", "rows"), ("total",)),
        allow_translations=True,
        embedded=True,
    ),
    Dashboard(key="ops", title="Ops", slug="ops", rows=(("total",),)),
)


@pytest.fixture(scope="module")
def bundle() -> dict:
    return build(SETTINGS, (DATASET,), CHARTS, DASHBOARDS)


def chart_file(bundle: dict, key: str) -> dict:
    return yaml.safe_load(bundle["files"][f"charts/{key}.yaml"])


def test_each_chart_ships_the_query_it_shows(bundle: dict) -> None:
    per_day = json.loads(chart_file(bundle, "per_day")["query_context"])
    [query] = per_day["queries"]
    assert query["columns"][0]["columnType"] == "BASE_AXIS"
    assert query["columns"][0]["sqlExpression"] == "day"
    assert query["columns"][0]["timeGrain"] == "P1D"
    assert query["columns"][1:] == ["org"]
    assert [metric["sqlExpression"] for metric in query["metrics"]] == ["sum(n)"]
    assert per_day["form_data"]["x_axis"] == "day"
    rows = json.loads(chart_file(bundle, "rows")["query_context"])
    assert rows["queries"][0]["columns"] == ["day", "n"]
    assert rows["queries"][0]["metrics"] == []
    total = json.loads(chart_file(bundle, "total")["query_context"])
    assert [metric["label"] for metric in total["queries"][0]["metrics"]] == ["Events"]
    assert total["queries"][0]["columns"] == []


def test_translatable_dashboards_get_a_copy_per_locale(bundle: dict) -> None:
    copies = {copy.slug: copy for copy in dashboard_copies(DASHBOARDS, SETTINGS.locales)}
    assert sorted(copies) == ["course", "course-es", "course-fr", "ops"]
    base = DASHBOARDS[0].uuid
    assert copies["course-fr"].uuid == locale_uuid(base, "fr") != base
    for slug, copy in copies.items():
        document = yaml.safe_load(bundle["files"][f"dashboards/{slug}.yaml"])
        assert document["uuid"] == copy.uuid
        charts = [
            n["meta"]["uuid"]
            for n in document["position"].values()
            if "meta" in n and "uuid" in n["meta"]
        ]
        assert charts, slug
    assert bundle["embedded"] == {
        copies[slug].uuid: ["https://lms.example.org"]
        for slug in ("course", "course-fr", "course-es")
    }


def test_database_uses_clickhouse_connect_without_a_password(bundle: dict) -> None:
    database = yaml.safe_load(bundle["files"][bundle["database_file"]])
    assert database["sqlalchemy_uri"] == (
        "clickhousedb://ch_superset:XXXXXXXXXX@ch.example.org:8443/reporting?secure=true"
    )
    dataset = yaml.safe_load(bundle["files"]["datasets/aspects_clickhouse/events.yaml"])
    assert dataset["sql"] == "SELECT * FROM reporting.events"
    assert [column["column_name"] for column in dataset["columns"]] == ["day", "org", "n"]


def test_a_chart_on_an_unknown_dataset_is_refused() -> None:
    stray = Chart(key="stray", title="Stray", dataset="nope", viz_type="table", columns=("n",))
    with pytest.raises(ValueError, match="unknown dataset 'nope'; one of \\['events'\\]"):
        build(SETTINGS, (DATASET,), (stray,), ())


def test_the_plugin_builds_nothing_at_import() -> None:
    code = "import sys, tutoraspects.plugin; print('tutoraspects.superset_assets' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_dataset_runs_in_its_own_database() -> None:
    settings = BundleSettings("http://ch:8123", "ch_superset", event_sink_database="sink_2")
    sink = Dataset(
        key="sink",
        title="Sink",
        sql="SELECT count() AS n FROM {event_sink}.course_overviews",
        columns=(Column("n", "UInt64"),),
        database="event_sink",
    )
    built = build(settings, (sink,), (), ())
    dataset = yaml.safe_load(built["files"]["datasets/aspects_clickhouse/sink.yaml"])
    assert dataset["schema"] == "sink_2"
    assert dataset["sql"] == "SELECT count() AS n FROM sink_2.course_overviews"
    stray = Dataset(key="x", title="X", sql="SELECT 1", columns=(), database="nope")
    with pytest.raises(ValueError, match="unknown database 'nope'"):
        build(settings, (stray,), (), ())


def test_line_charts_draw_their_points() -> None:
    """A series of one point (a course's first day of enrollments) draws no line at all."""
    shipped = build(SETTINGS)
    lines = [
        yaml.safe_load(text)
        for path, text in shipped["files"].items()
        if path.startswith("charts/") and "echarts_timeseries_line" in text
    ]
    assert lines, "no line chart shipped"
    for chart in lines:
        assert chart["params"]["markerEnabled"] is True, chart["slice_name"]


def test_shares_show_as_percentages() -> None:
    """Grades and pass rates are fractions in ClickHouse (0.5): the charts show 50.0%."""
    charts = [
        yaml.safe_load(text)
        for path, text in build(SETTINGS)["files"].items()
        if path.startswith("charts/")
    ]
    shares = {c["slice_name"]: c["params"] for c in charts if c["slice_name"] in SHARES}
    assert set(shares) == SHARES
    assert all(params["y_axis_format"] == ".1%" for params in shares.values()), shares


SHARES = {"Share of learners passing", "Average grade"}
