"""The reporting schema on real-shaped data: two courses, sink rows, ERB statements.

Half of the statements and sink rows exist before the reporting migrations (backfill), half
arrive after (materialized views). Every instructor dataset's SQL then runs on the engine,
returns rows, and its result columns are exactly the dataset's declared names and types.
"""
# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aspects_platform.clickhouse.runner import apply_migrations
from aspects_platform.clickhouse.schema import load_migrations
from aspects_platform.clickhouse.users import REPORTING_OBJECTS

from sandbox.clickhouse_server.testing import unique_schema
from tests.clickhouse import erb_statements as erb
from tutoraspects.superset_assets import content
from tutoraspects.superset_assets.bundle import BundleSettings
from tutoraspects.superset_assets.content import instructor, operator

NOW = datetime.now(UTC).replace(tzinfo=None)
COURSES = {"course-v1:OrgA+C1+2026": "Course One", "course-v1:OrgB+C2+2026": "Course Two"}
OUTLINE = [  # (block type, name, section, subsection, unit)
    ("course", "course", 0, 0, 0),
    ("chapter", "intro", 1, 0, 0),
    ("sequential", "seq1", 1, 1, 0),
    ("vertical", "unit1", 1, 1, 1),
    ("problem", "p1", 1, 1, 1),
    ("problem", "p2", 1, 1, 1),
    ("video", "v1", 1, 1, 1),
]


@pytest.fixture
def reporting(clickhouse):
    """Fresh databases; sink rows and statements before and after the reporting migrations."""
    target = dataclasses.replace(clickhouse, schema=unique_schema("rpt"))
    client = target.client()
    migrations = load_migrations()
    apply_migrations(client, target.schema, [m for m in migrations if m.version < 6])
    learners = {course: [str(uuid.uuid4()) for _ in range(4)] for course in COURSES}
    halves = [statements(course, actors) for course, actors in learners.items()]
    insert_sink_rows(client, target, learners, dumped=NOW - timedelta(days=1))
    erb.insert_statements(client, target, [s for half in halves for s in half[: len(half) // 2]])
    apply_migrations(client, target.schema, migrations)
    insert_sink_rows(client, target, learners, dumped=NOW)
    erb.insert_statements(client, target, [s for half in halves for s in half[len(half) // 2 :]])
    yield target, client, learners
    target.drop_databases()


def statements(course: str, actors: list[str]) -> list[dict]:
    """Learner 0 passes, 1 answers wrong three times (at risk), 2 watches, 3 leaves."""
    problems = tuple(erb.block_key(course, "problem", p) for p in ("p1", "p2"))
    video, seq = erb.block_key(course, "video", "v1"), erb.block_key(course, "sequential", "seq1")
    return erb.four_learners(
        course, COURSES[course], actors, NOW - timedelta(days=3), problems, video, seq
    )


def insert_sink_rows(client, target, learners, dumped: datetime) -> None:
    """Course overviews and outlines (as the CMS sinks dump them), profiles and external ids."""
    dump = uuid.uuid4()
    for course, name in COURSES.items():
        org = course.split(":")[1].split("+")[0]
        client.insert(
            "course_overviews",
            [[org, course, name, False, "{}", dump, dumped]],
            column_names=["org", "course_key", "display_name", "self_paced",
                          "course_data_json", "dump_id", "time_last_dumped"],
            database=target.event_sink_database,
        )  # fmt: skip
        client.insert(
            "course_blocks",
            [
                [org, course, erb.block_key(course, kind, block), block.title(), kind, s, ss, u,
                 False, False, "{}", order, dump, dumped]
                for order, (kind, block, s, ss, u) in enumerate(OUTLINE)
            ],
            column_names=["org", "course_key", "location", "display_name", "block_type",
                          "section", "subsection", "unit", "graded", "detached",
                          "xblock_data_json", "order", "dump_id", "time_last_dumped"],
            database=target.event_sink_database,
        )  # fmt: skip
    users = [actor for actors in learners.values() for actor in actors]
    client.insert(
        "user_profile",
        [[n, n, f"Learner {n}", f"learner{n}", f"l{n}@example.com", dump, dumped]
         for n in range(len(users))],
        column_names=["id", "user_id", "name", "username", "email", "dump_id", "time_last_dumped"],
        database=target.event_sink_database,
    )  # fmt: skip
    client.insert(
        "external_id",
        [[uuid.UUID(actor), "xapi", f"learner{n}", n, dump, dumped]
         for n, actor in enumerate(users)],
        column_names=["external_user_id", "external_id_type", "username", "user_id", "dump_id",
                      "time_last_dumped"],
        database=target.event_sink_database,
    )  # fmt: skip


def dataset_sql(dataset, target) -> str:
    """The SQL the bundle ships for ``dataset``, for ``target``'s databases."""
    settings = BundleSettings(
        "http://127.0.0.1:8123",
        "ch_superset",
        reporting_database=target.reporting_database,
        event_sink_database=target.event_sink_database,
        xapi_database=target.xapi_database,
        xapi_table=target.xapi_table,
    )
    return settings.sql(dataset)


@pytest.mark.parametrize("dataset", content.DATASETS, ids=lambda d: d.key)
def test_every_dataset_reads_only_what_supersets_clickhouse_user_may(reporting, dataset):
    """Superset's ClickHouse user may SELECT users.REPORTING_OBJECTS only. On a real server a
    dataset naming any other table fails for it; the embedded engine applies no grants, so the
    tables each query names are read from ClickHouse's own query tree."""
    target, client, _ = reporting
    tree = client.query(f"EXPLAIN QUERY TREE {dataset_sql(dataset, target)}").result_rows
    named = set(re.findall(r"table_name: (\S+)", "\n".join(row[0] for row in tree)))
    allowed = {f"{target.reporting_database}.{name}" for name in REPORTING_OBJECTS}
    assert named, tree
    assert named <= allowed, sorted(named - allowed)


def test_the_operator_datasets_count_the_sink_xapi_and_load_test_tables(reporting):
    target, client, _ = reporting
    sink, xapi = f"`{target.event_sink_database}`", f"`{target.xapi_database}`"
    client.command(
        f"INSERT INTO {sink}.load_test_runs (run_id, event_type, extra) "
        "VALUES ('run-1', 'start', '{}'), ('run-1', 'end', '{}')"
    )
    found = {}
    for dataset in operator.DATASETS:
        sql = dataset_sql(dataset, target)
        described = [row[:2] for row in client.query(f"DESCRIBE ({sql})").result_rows]
        declared = [(column.name, column.type) for column in dataset.columns]
        assert described == declared, dataset.key
        found[dataset.key] = list(client.query(sql).named_results())
    tables = {row["table_name"]: row["row_count"] for row in found["operator_sink_tables"]}
    for table, rows in tables.items():
        assert client.command(f"SELECT count() FROM {sink}.`{table}`") == rows, table
    assert tables["external_id"] > 0 and tables["object_tag"] == 0
    statements = client.command(f"SELECT count() FROM {xapi}.`{target.xapi_table}`")
    assert sum(row["statements"] for row in found["operator_xapi_hourly"]) == statements > 0
    [run] = found["operator_load_test_runs"]
    assert (run["run_id"], run["run_events"], sorted(run["event_types"])) == (
        "run-1",
        2,
        ["end", "start"],
    )


@pytest.mark.parametrize("dataset", instructor.DATASETS, ids=lambda d: d.key)
def test_every_dataset_runs_returns_rows_and_declares_its_columns(reporting, dataset):
    target, client, _ = reporting
    result = client.query(dataset_sql(dataset, target))
    assert result.result_rows, dataset.key
    found = [
        (name, kind.name)
        for name, kind in zip(result.column_names, result.column_types, strict=True)
    ]
    assert found == [(column.name, column.type) for column in dataset.columns]
    assert {"org", "course_key"} <= set(result.column_names)
    courses = {row[result.column_names.index("course_key")] for row in result.result_rows}
    assert courses == set(COURSES), dataset.key


def test_learners_are_keyed_pseudonyms_that_join_names_only_through_learner_pii(reporting):
    target, client, learners = reporting
    db = target.reporting_database
    rows = client.query(
        f"SELECT DISTINCT learner FROM `{db}`.xapi_events ORDER BY learner"
    ).result_rows
    pseudonyms = {row[0] for row in rows}
    assert len(pseudonyms) == 8
    assert all(re.fullmatch(r"[0-9a-f]{32}", p) for p in pseudonyms)
    actors = {actor for actors in learners.values() for actor in actors}
    assert not pseudonyms & actors
    pii = client.query(f"SELECT learner, name FROM `{db}`.learner_pii FINAL").result_rows
    assert {learner for learner, _ in pii} == pseudonyms
    # Nothing Superset reads besides learner_pii holds an external id.
    for (table,) in client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree'"
        " AND name NOT IN ('learner_pii', 'pseudonym_key')",
        parameters={"db": db},
    ).result_rows:
        for actor in actors:
            hits = client.query(
                f"SELECT count() FROM `{db}`.`{table}` WHERE position(toString(tuple(*)), "
                "{a:String}) > 0",
                parameters={"a": actor},
            ).result_rows[0][0]
            assert hits == 0, (table, actor)


def test_status_outline_and_engagement_follow_the_statements(reporting):
    target, client, learners = reporting
    db = target.reporting_database
    course = "course-v1:OrgA+C1+2026"
    first, second, third, fourth = learners[course]
    pseudonym = dict(
        client.query(
            f"SELECT toString(x.external_user_id), p.learner FROM `{db}`.learner_pii AS p "
            f"INNER JOIN `{target.event_sink_database}`.external_id AS x USING user_id"
        ).result_rows
    )
    status = {
        row[0]: row[1:]
        for row in client.query(
            f"SELECT learner, enrollment_mode, is_active, grade, passed, answers, "
            f"correct_answers, at_risk FROM `{db}`.learner_course_status "
            "WHERE course_key = {c:String}",
            parameters={"c": course},
        ).result_rows
    }
    assert status[pseudonym[first]] == ("audit", True, 0.9, True, 1, 1, False)
    assert status[pseudonym[second]] == ("verified", True, None, False, 3, 0, True)
    assert status[pseudonym[third]][:2] == ("verified", True)
    assert status[pseudonym[fourth]][:3] == ("verified", False, None)
    labels = client.query(
        "SELECT block_type, section_label, subsection_label, unit_label "
        f"FROM `{db}`.course_outline "
        "WHERE course_key = {c:String} AND block_type IN ('problem', 'chapter') ORDER BY `order`",
        parameters={"c": course},
    ).result_rows
    assert labels[0] == ("chapter", "1: Intro", "", "")
    assert labels[1] == ("problem", "1: Intro", "1.1: Seq1", "1.1.1: Unit1")
    video = client.query(
        f"SELECT video_plays, video_completions, video_position, video_length, section_label "
        f"FROM `{db}`.learner_content_engagement WHERE course_key = {{c:String}} "
        "AND learner = {l:String} AND block_type = 'video'",
        parameters={"c": course, "l": pseudonym[third]},
    ).result_rows
    assert video == [(1, 1, 60.0, 60.0, "1: Intro")]


def test_instructor_content_matches_the_configured_dashboards_and_its_datasets():
    from tutoraspects.config import INSTRUCTOR_DASHBOARDS

    datasets = {dataset.key: dataset for dataset in instructor.DATASETS}
    assert len(instructor.CHARTS) >= 20
    for chart in instructor.CHARTS:
        columns = {column.name for column in datasets[chart.dataset].columns}
        used = {*chart.groupby, *chart.columns, *([chart.x_axis] if chart.x_axis else [])}
        assert used <= columns, chart.key
    configured = {(d["uuid"], d["slug"], d["name"]) for d in INSTRUCTOR_DASHBOARDS}
    shipped = {(d.uuid, d.slug, d.title) for d in instructor.DASHBOARDS}
    assert shipped == configured
    placed = [key for board in instructor.DASHBOARDS for row in board.rows for key in row]
    assert sorted(placed) == sorted(chart.key for chart in instructor.CHARTS)
    assert all(board.embedded and board.allow_translations for board in instructor.DASHBOARDS)


def test_the_pseudonym_key_is_in_no_statement_log_or_ddl_and_is_never_replaced(reporting):
    target, client, _ = reporting
    table = f"`{target.reporting_database}`.pseudonym_key"
    (key,) = client.query(f"SELECT key FROM {table}").result_rows[0]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert apply_migrations(client, target.schema) == []  # a re-run keeps it
    from aspects_platform.clickhouse.pseudonyms import ensure_pseudonym_key

    assert ensure_pseudonym_key(client, target.schema) is False
    assert client.query(f"SELECT key FROM {table}").result_rows == [(key,)]
    client.command("SYSTEM FLUSH LOGS")
    logged = client.query(
        "SELECT count() FROM system.query_log WHERE position(query, {k:String}) > 0 "
        "AND position(query, 'position(query') = 0",
        parameters={"k": key},
    ).result_rows[0][0]
    assert logged == 0
    inserts = client.query(
        "SELECT count() FROM system.query_log WHERE query LIKE '%INSERT INTO%pseudonym_key%'"
    ).result_rows[0][0]
    assert inserts > 0  # the key's insert is logged, without the key
    ddl = client.query(
        "SELECT count() FROM system.tables WHERE position(create_table_query, {k:String}) > 0",
        parameters={"k": key},
    ).result_rows[0][0]
    assert ddl == 0
