"""Guest tokens end to end: our LMS view signs them, the real Superset honours them.

Two courses' data go into the tier's ClickHouse through the sandbox LMS (sinks) and as
ERB-shaped xAPI statements (``tests/superset/courses.py``). Each course's staff member gets a
token from ``/aspects/superset_guest_token/<course_id>/`` (SUPERSET_CONFIG pointing at this
Superset), then asks for the data of every chart of every embedded dashboard as the embedded
frontend does: each chart answers exactly the rows the same query gives for that course on the
engine, never another course's. A learner and the other course's staff get 403 from the view.
Every dataset's SQL from the bundle runs on the engine as Superset's ClickHouse user.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from tests.superset import guest as embedded
from tests.superset.api import SupersetClient
from tests.superset.courses import ORGS, SeededCourse, seed_courses
from tests.superset.server import SupersetServer
from tests.tiers import backend_config
from tutoraspects.superset_assets import content, query
from tutoraspects.superset_assets.bundle import dashboard_copies
from tutoraspects.superset_assets.model import Chart

#: The test database (each test in a transaction; the module's seed is committed before).
pytestmark = pytest.mark.django_db
#: A guest may not change a chart's query; if Superset refuses the RLS probe, it says this.
MODIFIED_PAYLOAD = "Guest user cannot modify chart payload"
CHARTS = {chart.uuid: chart for chart in content.CHARTS}
DATASETS = {dataset.key: dataset for dataset in content.DATASETS}
EMBEDDED = [copy for copy in dashboard_copies(content.DASHBOARDS, ["en", "fr", "es"])
            if copy.dashboard.embedded]  # fmt: skip


@dataclasses.dataclass
class Scene:
    """The seeded courses, and a way to ask our LMS view for a user's token."""

    courses: dict[str, SeededCourse]
    client_class: type = dataclasses.field(repr=False)

    def token_answer(self, user, course: SeededCourse):
        client = self.client_class()
        client.force_login(user)
        return client.get(f"/aspects/superset_guest_token/{course.key}/")


@pytest.fixture(scope="module")
def scene(superset: SupersetServer, clickhouse, django_db_setup, django_db_blocker):
    """Both courses seeded through the LMS, with the LMS pointed at this Superset."""
    from aspects_platform import dashboards, tasks
    from aspects_platform.load_test.store import LoadTestStore
    from django.core.management import call_command
    from django.test import Client, override_settings
    from edx_django_utils.cache import RequestCache

    assert superset.locales == ["en", "fr", "es"]
    config = backend_config(clickhouse)
    with (
        django_db_blocker.unblock(),
        override_settings(
            EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG=config,
            SUPERSET_CONFIG={
                "service_url": superset.url,
                "guest_token_jwt_secret": superset.guest_token_jwt_secret,
                "guest_token_jwt_audience": superset.guest_token_jwt_audience,
            },
            SUPERSET_DASHBOARD_LOCALES=list(superset.locales),
        ),
    ):
        RequestCache.clear_all_namespaces()
        dashboards.forget_warning()
        tasks._forget_clients()
        try:
            courses = seed_courses(clickhouse)
            # The operator dashboard's load-test dataset: one run, as the load test records it.
            store = LoadTestStore(config)
            store.record("superset-tier-run", "start", {"note": "tests/superset"})
            store.close()
            yield Scene({course.org: course for course in courses}, Client)
        finally:
            tasks._forget_clients()
            RequestCache.clear_all_namespaces()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def shipped_charts(superset: SupersetServer) -> dict[int, Chart]:
    """Superset's chart ids -> our charts."""
    listing = superset.client().listing("chart", ("id", "uuid"))
    return {row["id"]: CHARTS[row["uuid"]] for row in listing}


def guest_for(scene: Scene, superset: SupersetServer, course: SeededCourse) -> SupersetClient:
    answer = scene.token_answer(course.staff, course)
    assert answer.status_code == 200, answer.content
    return SupersetClient(superset.url, answer.json()["guestToken"], guest=True)


def expected_rows(clickhouse, chart, course: SeededCourse) -> list[tuple]:
    """The chart's query over its dataset, filtered to the course, run on the engine."""
    sql = query.chart_query(chart, DATASETS[chart.dataset], clickhouse.databases)
    client = clickhouse.client()
    try:
        found = client.query(sql, parameters={"org": course.org, "course_key": course.key})
        return found.result_rows
    finally:
        client.close()


def course_learners(clickhouse, course: SeededCourse) -> set[str]:
    """The pseudonyms of the course's learners in the reporting schema."""
    client = clickhouse.client()
    try:
        found = client.query(
            "SELECT DISTINCT learner FROM {db:Identifier}.learner_course_status "
            "WHERE course_key = {course:String}",
            parameters={"db": clickhouse.reporting_database, "course": course.key},
        )
        return {row[0] for row in found.result_rows}
    finally:
        client.close()


def rls_probe(context: dict) -> dict:
    """The chart's context asking for rows per org and course_key instead (a changed query)."""
    [first] = context["queries"]
    probe = {
        **first,
        "columns": ["org", "course_key"],
        "metrics": [{"expressionType": "SQL", "sqlExpression": "count()", "label": "rows"}],
        "orderby": [],
        "post_processing": [],
    }
    return {**context, "queries": [probe]}


@pytest.mark.parametrize("copy", EMBEDDED, ids=lambda copy: copy.slug)
@pytest.mark.parametrize("org", ORGS)
def test_every_chart_holds_exactly_the_token_course(
    scene, superset, clickhouse, shipped_charts, org, copy
):
    course = scene.courses[org]
    guest = guest_for(scene, superset, course)
    learners = course_learners(clickhouse, course)
    assert len(learners) == 4
    dashboard_id, charts = embedded.dashboard_charts(guest, copy.uuid)
    assert sorted(shipped_charts[chart.id].key for chart in charts) == sorted(
        key for row in copy.dashboard.rows for key in row
    )
    for chart in charts:
        shipped = shipped_charts[chart.id]
        key = shipped.key
        context = embedded.shipped_query_context(superset.bundle, key)
        answer = embedded.chart_data(guest, context, chart, dashboard_id)
        assert answer.status == 200, (key, answer.body, superset.log_tail())
        found = embedded.rows(answer)
        expected = expected_rows(clickhouse, shipped, course)
        assert expected, f"{key}: the seeded data leaves this chart empty for {course.key}"
        assert len(found) == len(expected), (key, found, expected)
        for row in found:
            assert row.get("org", org) == org, (key, row)
            assert row.get("course_key", course.key) == course.key, (key, row)
            assert row.get("learner", next(iter(learners))) in learners, (key, row)
        # RLS is the boundary: a guest who changes the query still sees only the course.
        probe = embedded.chart_data(guest, rls_probe(context), chart, dashboard_id)
        if probe.status == 403:
            assert MODIFIED_PAYLOAD in str(probe.body), (key, probe.body)
            continue
        assert probe.status == 200, (key, probe.body)
        assert [(row["org"], row["course_key"]) for row in embedded.rows(probe)] == [
            (org, course.key)
        ], key


@pytest.mark.parametrize("org", ORGS)
def test_learners_and_the_other_course_staff_get_403(scene, org):
    course = scene.courses[org]
    other = next(c for c in scene.courses.values() if c is not course)
    for user in (course.learners[0], other.staff):
        answer = scene.token_answer(user, course)
        assert answer.status_code == 403, (user.username, answer.content)
        assert "guestToken" not in answer.json()


@pytest.mark.parametrize("dataset", content.DATASETS, ids=lambda dataset: dataset.key)
def test_every_dataset_sql_runs_as_superset_and_returns_rows(scene, superset, clickhouse, dataset):
    document = yaml.safe_load(
        superset.bundle["files"][f"datasets/aspects_clickhouse/{dataset.key}.yaml"]
    )
    as_superset = dataclasses.replace(
        clickhouse, username=superset.clickhouse_user, password=superset.clickhouse_password
    )
    client = as_superset.client(database=document["schema"])
    try:
        result = client.query(document["sql"])
    finally:
        client.close()
    assert result.result_rows, dataset.key
    assert result.column_names == tuple(column.name for column in dataset.columns)
    if "course_key" in result.column_names:
        index = result.column_names.index("course_key")
        found = {row[index] for row in result.result_rows}
        assert {course.key for course in scene.courses.values()} <= found, dataset.key
