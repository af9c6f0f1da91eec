"""``aspects_doctor``: one line per check, against the sandbox LMS and the test ClickHouse.

A healthy sandbox is all ok (the embedded engine's grants line excepted, see below); each broken
part (ClickHouse down, a dropped column, a missing grant, profiles never dumped, a pending
retirement) shows up as its own line with its status, and an error makes the command fail.
"""

from __future__ import annotations

import http.server
import io
import json
import secrets
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aspects_platform.clickhouse.users import ServiceUser, apply_users
from aspects_platform.models import ClickHouseRetirement
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from sandbox.lms.paths import REPO_ROOT
from tests.platform.factories import build_course, make_external_id, make_user
from tests.platform.test_platform_dump_failures import MANAGE, sandbox_env

pytestmark = pytest.mark.django_db
NOT_APPLIED = "this ClickHouse does not apply per-user grants"
UNREACHABLE = "not checked: ClickHouse unreachable"


@pytest.fixture(autouse=True)
def full_backend_config(settings, backend_config, clickhouse):
    """The LMS's config with the xAPI names of the test ClickHouse; an empty xAPI table."""
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **backend_config,
        "xapi_database": clickhouse.xapi_database,
        "xapi_table": clickhouse.xapi_table,
    }
    client = clickhouse.client()
    client.command(f"TRUNCATE TABLE `{clickhouse.xapi_database}`.`{clickhouse.xapi_table}`")
    client.close()


def doctor(*args: str) -> tuple[list[dict], bool]:
    """Run the command with --format json: (its findings, whether it failed)."""
    out = io.StringIO()
    failed = False
    try:
        call_command("aspects_doctor", "--format", "json", *args, stdout=out)
    except CommandError:
        failed = True
    return json.loads(out.getvalue()), failed


def by_check(findings: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in findings:
        assert set(finding) == {"check", "status", "message", "action"}
        found.setdefault(finding["check"], []).append(finding)
    return found


def only(findings: list[dict], check: str) -> dict:
    (finding,) = by_check(findings)[check]
    return finding


def dump_everything() -> None:
    for name in ("course_overviews", "user_profile", "external_id", "course_enrollment"):
        call_command(
            "dump_data_to_clickhouse",
            "--object",
            name,
            "--force" if name == "course_overviews" else "--batch_size=100",
            stderr=io.StringIO(),
        )


def populate() -> None:
    """Users with profiles and external ids, and a published course."""
    for index in range(3):
        user, _ = make_user(f"doctor{index}")
        make_external_id(user)
    build_course("DocOrg", "D1", "2026")


def test_a_healthy_sandbox_is_all_ok_and_exits_0(clickhouse):
    populate()
    dump_everything()
    findings, failed = doctor()
    assert not failed, findings
    checks = by_check(findings)
    grants = only(findings, "grants")
    if clickhouse.is_embedded:
        assert grants["status"] == "warning" and NOT_APPLIED in grants["message"]
    for finding in findings:
        if finding["check"] != "grants":
            assert finding["status"] in ("ok", "not configured"), finding
    for name in ("clickhouse", "schema", "migrations", "sinks", "pii", "outlines", "retirements"):
        assert checks[name][0]["status"] == "ok", checks[name]
    assert only(findings, "counts.user_profile")["message"] == "LMS 3, ClickHouse 3"
    assert only(findings, "counts.course_overviews")["message"] == "LMS 1, ClickHouse 1"
    assert clickhouse.password not in json.dumps(findings)


def test_text_format_prints_one_line_per_finding():
    out = io.StringIO()
    call_command("aspects_doctor", stdout=out)
    lines = out.getvalue().splitlines()
    findings, _ = doctor()
    assert len(lines) == len(findings)
    assert lines[0].startswith("[ok] clickhouse: ClickHouse ")


def test_an_unknown_format_is_refused_naming_the_choices():
    with pytest.raises(CommandError, match="invalid choice: 'xml'.*'text', 'json'"):
        call_command("aspects_doctor", "--format", "xml")


def test_clickhouse_down_is_an_error_and_the_other_checks_still_run(embedded_clickhouse):
    ClickHouseRetirement.objects.create(user_id=42)
    embedded_clickhouse.stop()
    try:
        findings, failed = doctor()
    finally:
        embedded_clickhouse.start()
    assert failed
    down = only(findings, "clickhouse")
    assert down["status"] == "error"
    assert f"cannot reach {embedded_clickhouse.url} as " in down["message"]
    assert "start ClickHouse" in down["action"]
    needs_clickhouse = ["grants", "schema", "migrations", "counts", "outlines"]
    if apps.is_installed("event_routing_backends"):
        needs_clickhouse.append("xapi_lag")  # without ERB: not configured, ClickHouse unread
    for name in needs_clickhouse:
        assert only(findings, name) == {
            "check": name,
            "status": "warning",
            "message": UNREACHABLE,
            "action": "see the clickhouse line",
        }
    # Checks that only read the LMS still report.
    assert only(findings, "sinks")["status"] == "ok"
    assert only(findings, "retirements")["status"] == "warning"
    assert embedded_clickhouse.password not in json.dumps(findings)


@pytest.mark.parametrize(
    ("change", "problem", "fix"),
    [
        ({"password": "wrong-Pa55word!"}, "Authentication failed", "username/password"),
        ({"url": "ftp://clickhouse:8123"}, "must start with one of: http://, https://", "url"),
    ],
)
def test_a_wrong_password_or_url_is_an_error_that_shows_no_secret(settings, change, problem, fix):
    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
        **settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG,
        **change,
    }
    findings, failed = doctor()
    assert failed
    line = only(findings, "clickhouse")
    assert line["status"] == "error"
    assert problem in line["message"]
    assert fix in line["action"]
    assert only(findings, "schema")["message"] == UNREACHABLE
    text = json.dumps(findings)
    assert settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG["password"] not in text


@pytest.mark.parametrize(
    ("damage", "repair", "problem"),
    [
        (
            "ALTER TABLE user_profile DROP COLUMN bio",
            "ALTER TABLE user_profile ADD COLUMN bio String AFTER goals",
            "user_profile.bio (String) is missing",
        ),
        (
            "ALTER TABLE external_id MODIFY COLUMN external_id_type LowCardinality(String)",
            "ALTER TABLE external_id MODIFY COLUMN external_id_type String",
            "external_id.external_id_type is LowCardinality(String), not String",
        ),
    ],
)
def test_a_dropped_or_changed_column_is_a_schema_error(ch, clickhouse, damage, repair, problem):
    ch.command(damage)
    try:
        findings, failed = doctor()
    finally:
        ch.command(repair)
    assert failed
    schema = only(findings, "schema")
    assert schema["status"] == "error"
    assert schema["message"] == f"{clickhouse.event_sink_database}.{problem}"
    assert "init-clickhouse" in schema["action"]
    assert only(findings, "migrations")["status"] == "ok"


def test_ten_profiles_never_dumped_show_in_their_count(settings):
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = False
    for index in range(10):
        make_user(f"never{index}")
    settings.EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED = True
    findings, failed = doctor()
    assert not failed, findings
    profiles = only(findings, "counts.user_profile")
    assert profiles["status"] == "warning"
    assert profiles["message"] == "LMS 10, ClickHouse 0: 10 missing in ClickHouse"
    assert profiles["action"].startswith(
        "tutor local do dump-data-to-clickhouse --object user_profile"
    )
    assert only(findings, "counts.external_id")["status"] == "ok"


def test_a_sink_that_is_off_has_its_count_not_configured(settings):
    settings.EVENT_SINK_CLICKHOUSE_PII_ENABLED = False
    make_user("offline")
    findings, _ = doctor()
    assert only(findings, "counts.user_profile") == {
        "check": "counts.user_profile",
        "status": "not configured",
        "message": "sink off; LMS 1, ClickHouse 0",
        "action": "",
    }
    assert only(findings, "pii")["message"].startswith("PII off")
    assert (
        "switched on but blocked by PII off: user_profile, external_id"
        in only(findings, "sinks")["message"]
    )


def test_a_course_published_after_its_last_dump_is_listed(ch, clickhouse):
    from aspects_platform.sinks import XBlockSink
    from aspects_platform.sinks.base import DumpRun
    from aspects_platform.sinks.encoding import utc_datetime
    from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

    now = datetime.now(UTC)
    stale = build_course("DocOrg", "Stale", "2026")
    never = build_course("DocOrg", "Never", "2026")
    fresh = build_course("DocOrg", "Fresh", "2026")
    # Stale: its outline was written three hours ago, the course was published two hours ago.
    blocks = XBlockSink()
    old_run = DumpRun(str(uuid.uuid4()), utc_datetime(now - timedelta(hours=3)))
    table = f"`{clickhouse.event_sink_database}`.course_blocks"
    blocks.insert(ch, table, stale, blocks.rows(stale, old_run, {}))
    CourseOverview.objects.filter(id__in=[stale, never]).update(modified=now - timedelta(hours=2))
    # Fresh: written now, after its last publish.
    blocks.insert(ch, table, fresh, blocks.rows(fresh, DumpRun.start(), {}))
    CourseOverview.objects.filter(id=fresh).update(modified=now - timedelta(hours=2))
    findings, failed = doctor()
    assert not failed
    outlines = only(findings, "outlines")
    assert outlines["status"] == "warning"
    assert outlines["message"] == (
        "2 of 3 courses published after their outline was last written (or never written): "
        f"{never}, {stale}"
    )
    assert f"--object course_overviews --force --ids {never},{stale} " in outlines["action"]


def test_a_course_published_within_the_publish_delay_is_not_stale_yet():
    build_course("DocOrg", "JustNow", "2026")  # published now, its delayed dump not run yet
    assert only(doctor()[0], "outlines")["status"] == "ok"


def test_pending_retirements_warn_then_fail_once_overdue(settings):
    ClickHouseRetirement.objects.create(user_id=7)
    findings, failed = doctor()
    assert not failed
    pending = only(findings, "retirements")
    assert pending["status"] == "warning"
    assert pending["message"].startswith("1 retirement(s) in progress")
    assert "retire_users_from_clickhouse --redrive" in pending["action"]

    overdue = datetime.now(UTC) - timedelta(
        seconds=settings.EVENT_SINK_CLICKHOUSE_RETIREMENT_CONFIRM_SECS + 60
    )
    ClickHouseRetirement.objects.filter(user_id=7).update(created=overdue)
    findings, failed = doctor()
    assert failed
    assert only(findings, "retirements")["status"] == "error"
    assert "1 older than 300 s" in only(findings, "retirements")["message"]


class _Health(http.server.BaseHTTPRequestHandler):
    paths = {"/health", "/__heartbeat__"}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        status = 200 if self.path in self.paths else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_service():
    """A real HTTP server answering 200 on /health and /__heartbeat__."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


def test_superset_health_is_checked_when_a_url_is_configured(settings, http_service):
    assert only(doctor()[0], "superset")["status"] == "not configured"
    assert only(doctor()[0], "superset_dashboards")["status"] == "not configured"
    settings.SUPERSET_CONFIG = {
        "service_url": "https://superset.example.invalid/",
        "internal_service_url": http_service + "/",
    }
    assert only(doctor()[0], "superset")["status"] == "ok"
    settings.SUPERSET_CONFIG = {"service_url": closed_port_url()}
    findings, failed = doctor()
    assert failed
    assert only(findings, "superset")["status"] == "error"
    dashboards = only(findings, "superset_dashboards")
    assert dashboards["status"] == "error" and "ConnectionError" in dashboards["message"]


def test_ralph_heartbeat_and_xapi_lag_follow_the_erb_routes(http_service, clickhouse):
    pytest.importorskip("event_routing_backends")
    from event_routing_backends.models import RouterConfiguration

    findings, _ = doctor()
    assert only(findings, "ralph")["status"] == "not configured"
    assert only(findings, "xapi_lag")["status"] == "not configured"
    RouterConfiguration.objects.create(
        backend_name=RouterConfiguration.XAPI_BACKEND,
        enabled=True,
        route_url=f"{http_service}/xAPI/",
        auth_scheme=RouterConfiguration.AUTH_BASIC,
        username="ralph",
        password="not-a-real-secret",
    )
    findings, failed = doctor()
    assert not failed
    assert only(findings, "ralph") == {
        "check": "ralph",
        "status": "ok",
        "message": f"{http_service}/__heartbeat__ answers 200",
        "action": "",
    }
    assert only(findings, "xapi_lag")["status"] == "warning"  # a route, and no statement yet
    add_statement(clickhouse, datetime.now(UTC) - timedelta(hours=2))
    lag = only(doctor()[0], "xapi_lag")
    assert lag["status"] == "warning" and "none in the last 3600 s" in lag["message"]
    add_statement(clickhouse, datetime.now(UTC))
    assert only(doctor()[0], "xapi_lag")["status"] == "ok"
    RouterConfiguration.objects.create(
        backend_name=RouterConfiguration.XAPI_BACKEND,
        enabled=True,
        route_url=f"{http_service}/xAPI/",
        username="ralph",
    )
    RouterConfiguration.objects.create(
        backend_name=RouterConfiguration.XAPI_BACKEND,
        enabled=True,
        route_url=f"{closed_port_url()}/xAPI/",
    )
    findings, failed = doctor()
    assert failed
    assert sorted(f["status"] for f in by_check(findings)["ralph"]) == ["error", "ok"]


def add_statement(clickhouse, emitted: datetime) -> None:
    """One xAPI statement emitted at ``emitted``, as Ralph writes it."""
    client = clickhouse.client()
    table = f"`{clickhouse.xapi_database}`.`{clickhouse.xapi_table}`"
    client.command(
        f"INSERT INTO {table} (event_id, emission_time, event) "  # noqa: S608 fixture names
        "VALUES (generateUUIDv4(), {at:DateTime64(6, 'UTC')}, '{}')",
        parameters={"at": emitted.replace(tzinfo=None)},
    )
    client.close()


@pytest.fixture
def real_server(clickhouse):
    if clickhouse.is_embedded:
        pytest.skip("the embedded engine has no access control; set ASPECTS_TEST_CLICKHOUSE_URL")
    return clickhouse


def test_a_missing_grant_is_an_error_on_a_real_server(real_server, settings):
    user = ServiceUser("lms", f"aspects_test_lms_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16))
    admin = real_server.client()
    schema = real_server.schema
    try:
        apply_users(admin, [user], schema)
        settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {
            **settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG,
            "username": user.name,
            "password": user.password,
        }
        assert only(doctor()[0], "grants")["status"] == "ok"
        admin.command(
            f"REVOKE ALTER DELETE ON `{schema.event_sink_database}`.user_profile FROM `{user.name}`"
        )
        findings, failed = doctor()
        assert failed
        grants = only(findings, "grants")
        assert grants["status"] == "error"
        assert f"ALTER DELETE ON {schema.event_sink_database}.user_profile" in grants["message"]
    finally:
        admin.command(f"DROP USER IF EXISTS `{user.name}`")


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, MANAGE, "aspects_doctor", *args],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_the_command_line_exits_0_when_healthy_and_1_on_an_error(tmp_path, clickhouse):
    env = {
        **sandbox_env(tmp_path, clickhouse),
        "ASPECTS_SANDBOX_XAPI_DATABASE": clickhouse.xapi_database,
    }
    healthy = run_cli(env, "--format", "json")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    statuses = {f["check"]: f["status"] for f in json.loads(healthy.stdout)}
    assert statuses["clickhouse"] == statuses["schema"] == statuses["counts.user_profile"] == "ok"
    broken = run_cli({**env, "ASPECTS_SANDBOX_CLICKHOUSE_URL": closed_port_url()})
    assert broken.returncode == 1
    assert broken.stdout.splitlines()[0].startswith("[error] clickhouse: cannot reach ")
    assert "CommandError: " in broken.stderr and "error(s): clickhouse" in broken.stderr
    assert clickhouse.password not in broken.stdout + broken.stderr
