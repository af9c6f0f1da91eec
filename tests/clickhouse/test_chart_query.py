"""The SQL Superset sends for a chart (tutoraspects.superset_assets.query), run on ClickHouse."""

import datetime

import pytest

from tutoraspects.superset_assets.model import Chart, Column, Dataset, Metric
from tutoraspects.superset_assets.query import chart_query, dataset_sql

COURSE = ("SynthOrg1", "course-v1:SynthOrg1+C1+2026")
BLOCKS = Dataset(
    key="test_blocks",
    title="Blocks",
    sql="SELECT org, course_key, location, block_type FROM {event_sink}.course_blocks",
    columns=(Column("org", "String"), Column("course_key", "String")),
)
ENROLLMENTS = Dataset(
    key="test_enrollments",
    title="Enrollments",
    sql=(
        "SELECT splitByChar('+', splitByChar(':', course_key)[2])[1] AS org, course_key, "
        "created, mode FROM {event_sink}.course_enrollment;"
    ),
    columns=(Column("org", "String"), Column("course_key", "String")),
)
COUNT = Metric("Count", "count()")


def run(synthetic, chart: Chart, dataset: Dataset, course=COURSE) -> list[tuple]:
    databases = {
        "reporting": "unused",
        "event_sink": synthetic.schema.event_sink_database,
        "xapi": synthetic.schema.xapi_database,
    }
    sql = chart_query(chart, dataset, databases)
    org, course_key = course
    return synthetic.client.query(
        sql, parameters={"org": org, "course_key": course_key}
    ).result_rows


def test_a_grouped_chart_counts_only_the_rls_course_largest_first(synthetic):
    chart = Chart("t_pie", "Blocks by type", BLOCKS.key, "pie", (COUNT,), groupby=("block_type",))

    rows = run(synthetic, chart, BLOCKS)

    counts = [count for _, count in rows]
    assert counts == sorted(counts, reverse=True)
    assert dict(rows) == {
        "course": 1,
        "chapter": 4,
        "sequential": 12,
        "vertical": 36,
        "html": 36,
        "problem": 36,
        "video": 36,
    }


def test_a_raw_table_shows_its_columns_of_the_course_up_to_the_row_limit(synthetic):
    chart = Chart("t_raw", "Blocks", BLOCKS.key, "table", columns=("location",), row_limit=5)

    rows = run(synthetic, chart, BLOCKS)

    assert len(rows) == 5
    assert all(row[0].startswith("block-v1:SynthOrg1+C1+2026+type@") for row in rows)


def test_a_time_series_truncates_the_x_axis_to_its_grain_and_splits_by_groupby(synthetic):
    chart = Chart(
        "t_bar", "Enrollments per month", ENROLLMENTS.key, "echarts_timeseries_bar", (COUNT,),
        groupby=("mode",), x_axis="created", time_grain="P1M",
    )  # fmt: skip
    expected = synthetic.client.command(
        f"SELECT count() FROM `{synthetic.schema.event_sink_database}`.course_enrollment "  # noqa: S608
        "WHERE course_key = {key:String}",
        parameters={"key": COURSE[1]},
    )

    rows = run(synthetic, chart, ENROLLMENTS)

    assert sum(count for *_, count in rows) == expected > 0
    assert {month.day for month, *_ in rows} == {1}
    assert all(isinstance(month, datetime.date) for month, *_ in rows)
    assert {mode for _, mode, _ in rows} <= {"audit", "verified", "honor"}


def test_a_big_number_is_one_row_for_the_course_and_nothing_for_another_org(synthetic):
    chart = Chart("t_big", "Enrollments", ENROLLMENTS.key, "big_number_total", (COUNT,))

    ((count,),) = run(synthetic, chart, ENROLLMENTS)
    ((other,),) = run(synthetic, chart, ENROLLMENTS, ("SynthOrg2", COURSE[1]))

    assert count > 0
    assert other == 0


@pytest.mark.parametrize(
    ("chart", "databases", "message"),
    [
        (
            Chart("t", "T", BLOCKS.key, "pie", (COUNT,), x_axis="x", time_grain="P2D"),
            {"reporting": "r", "event_sink": "e", "xapi": "x"},
            "unknown time grain 'P2D'",
        ),
        (
            Chart("t", "T", BLOCKS.key, "pie", (COUNT,)),
            {"event_sink": "e"},
            r"no database name given for \['reporting', 'xapi'\]",
        ),
        (
            Chart("t", "T", "other", "pie", (COUNT,)),
            {"reporting": "r", "event_sink": "e", "xapi": "x"},
            "chart t reads dataset other, not test_blocks",
        ),
        (
            Chart("t", "T", BLOCKS.key, "pie", (COUNT,), groupby=("a b",)),
            {"reporting": "r", "event_sink": "e", "xapi": "x"},
            "not a plain column name: 'a b'",
        ),
    ],
)
def test_bad_chart_definitions_are_refused_with_the_reason(chart, databases, message):
    with pytest.raises(ValueError, match=message):
        chart_query(chart, BLOCKS, databases)


def test_dataset_sql_quotes_the_database_names_and_drops_a_final_semicolon():
    databases = {"reporting": "r", "event_sink": "sink_1", "xapi": "x"}

    assert dataset_sql(ENROLLMENTS, databases).endswith("FROM `sink_1`.course_enrollment")
