"""Our init job, run twice against a real Superset: one of everything, least privileges.

Read back through Superset's REST API as its admin and as the LMS service user.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.superset.server import SupersetServer
from tutoraspects.superset_assets import content
from tutoraspects.superset_assets.bundle import DATABASE_NAME, dashboard_copies

GRANTER_ROLE = "aspects_guest_token_granter"


@pytest.fixture(scope="module")
def admin(superset: SupersetServer):
    return superset.client()


@pytest.fixture(scope="module")
def lms(superset: SupersetServer):
    return superset.client(as_lms=True)


def test_both_runs_succeed_and_print_no_secret(superset: SupersetServer) -> None:
    secrets = superset.rendered.secrets()
    for run in superset.init_runs:
        for name, value in secrets.items():
            assert value not in run.output, f"{name} printed by the init job"
    assert "Updated the Superset user" in superset.init_runs[1].output


def test_each_dashboard_and_locale_copy_exists_once(superset: SupersetServer, admin) -> None:
    rows = admin.listing("dashboard", ("id", "uuid", "slug", "dashboard_title"))
    expected = dashboard_copies(content.DASHBOARDS, superset.locales)
    assert expected, "no dashboard shipped"
    by_uuid = Counter(row["uuid"] for row in rows)
    by_slug = Counter(row["slug"] for row in rows)
    for copy in expected:
        assert by_uuid[copy.uuid] == 1, copy
        assert by_slug[copy.slug] == 1, copy
    assert len(rows) == len(expected)
    translated = [copy for copy in expected if copy.locale != "en"]
    bases = [dashboard for dashboard in content.DASHBOARDS if dashboard.allow_translations]
    assert len(translated) == len(bases) * (len(superset.locales) - 1)


def test_each_chart_and_dataset_exists_once(admin) -> None:
    charts = Counter(row["uuid"] for row in admin.listing("chart", ("id", "uuid")))
    assert sorted(charts) == sorted(chart.uuid for chart in content.CHARTS)
    assert set(charts.values()) == {1}
    datasets = admin.listing("dataset", ("id", "uuid", "table_name"))
    assert sorted(row["uuid"] for row in datasets) == sorted(ds.uuid for ds in content.DATASETS)


def test_one_database_connection_through_clickhouse_connect(
    superset: SupersetServer, admin
) -> None:
    rows = admin.listing("database", ("id", "database_name", "backend", "uuid"))
    assert [(row["database_name"], row["backend"]) for row in rows] == [
        (DATABASE_NAME, "clickhousedb")
    ]
    answer = admin.get(f"/api/v1/database/{rows[0]['id']}/connection")
    assert answer.status == 200, answer.body
    uri = answer.body["result"]["sqlalchemy_uri"]
    # The read-only ClickHouse user; its password is stored, never shown.
    assert uri.startswith(f"clickhousedb://{superset.clickhouse_user}:")
    assert superset.rendered.secrets()["ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD"] not in uri


def test_embedded_entries_use_the_dashboard_uuid_and_lms_origins(
    superset: SupersetServer, admin
) -> None:
    rows = {row["uuid"]: row for row in admin.listing("dashboard", ("id", "uuid", "slug"))}
    config = superset.rendered.config()
    scheme = "https" if config["ENABLE_HTTPS"] else "http"
    lms_origin = f"{scheme}://{config['LMS_HOST']}"
    embedded = [
        copy
        for copy in dashboard_copies(content.DASHBOARDS, superset.locales)
        if copy.dashboard.embedded
    ]
    for copy in embedded:
        answer = admin.get(f"/api/v1/dashboard/{rows[copy.uuid]['id']}/embedded")
        assert answer.status == 200, (copy, answer.body)
        assert answer.body["result"]["uuid"] == copy.uuid
        assert lms_origin in answer.body["result"]["allowed_domains"]
    for copy in dashboard_copies(content.DASHBOARDS, superset.locales):
        if not copy.dashboard.embedded:
            answer = admin.get(f"/api/v1/dashboard/{rows[copy.uuid]['id']}/embedded")
            assert answer.status == 404, (copy, answer.body)


def _role_permissions(admin, role_id: int) -> set[tuple[str, str]]:
    answer = admin.get(f"/api/v1/security/roles/{role_id}/permissions/")
    assert answer.status == 200, answer.body
    return {(item["permission_name"], item["view_menu_name"]) for item in answer.body["result"]}


def test_roles_exist_once_with_only_what_they_need(superset: SupersetServer, admin) -> None:
    answer = admin.get("/api/v1/security/roles/", params={"q": "(page_size:100)"})
    assert answer.status == 200, answer.body
    names = Counter(role["name"] for role in answer.body["result"])
    assert names[superset.guest_role] == 1
    assert names[GRANTER_ROLE] == 1
    ids = {role["name"]: role["id"] for role in answer.body["result"]}
    assert _role_permissions(admin, ids[superset.guest_role]) == {
        ("can_read", "Dashboard"),
        ("can_read", "Chart"),
        ("can_read", "CurrentUserRestApi"),
        ("can_log", "Superset"),
    }
    assert _role_permissions(admin, ids[GRANTER_ROLE]) == {
        ("can_grant_guest_token", "SecurityRestApi")
    }


def test_users_exist_once_and_the_lms_user_is_not_admin(superset: SupersetServer, admin) -> None:
    answer = admin.get("/api/v1/security/users/", params={"q": "(page_size:100)"})
    assert answer.status == 200, answer.body
    users = answer.body["result"]
    names = Counter(user["username"] for user in users)
    assert names[superset.admin_username] == 1
    assert names[superset.lms_username] == 1
    roles = {user["username"]: [role["name"] for role in user["roles"]] for user in users}
    assert roles[superset.admin_username] == ["Admin"]
    assert roles[superset.lms_username] == [GRANTER_ROLE]


def test_lms_user_cannot_list_databases_or_run_sql(admin, lms) -> None:
    assert lms.get("/api/v1/database/").status in (401, 403)
    database_id = admin.listing("database", ("id",))[0]["id"]
    # With a CSRF token when the user may have one: then only the permission check can refuse.
    csrf = lms.get("/api/v1/security/csrf_token/")
    headers = {"X-CSRFToken": csrf.body["result"]} if csrf.status == 200 else {}
    answer = lms.post(
        "/api/v1/sqllab/execute/",
        json={"database_id": database_id, "sql": "SELECT 1", "runAsync": False},
        headers=headers,
    )
    assert answer.status in (401, 403) or (csrf.status == 403 and answer.status == 400), (
        csrf.status,
        answer.body,
    )
    assert lms.get("/api/v1/chart/").status in (401, 403)


def test_lms_user_can_mint_a_guest_token(superset: SupersetServer, lms) -> None:
    embedded = [dashboard for dashboard in content.DASHBOARDS if dashboard.embedded]
    target = embedded[0].uuid if embedded else content.DASHBOARDS[0].uuid
    answer = lms.post(
        "/api/v1/security/guest_token/",
        json={
            "user": {"username": "instructor", "first_name": "I", "last_name": "Nstructor"},
            "resources": [{"type": "dashboard", "id": target}],
            "rls": [{"clause": "course_key = 'course-v1:Org+C+R'"}],
        },
    )
    assert answer.status == 200, answer.body
    assert answer.body["token"].count(".") == 2


def test_every_chart_answers_for_the_admin(superset: SupersetServer, admin) -> None:
    failures = {}
    for row in admin.listing("chart", ("id", "uuid", "slice_name")):
        answer = admin.get(f"/api/v1/chart/{row['id']}/data/")
        if answer.status != 200:
            failures[row["slice_name"]] = answer.status
    assert not failures, f"{failures}\n{superset.log_tail()}"
