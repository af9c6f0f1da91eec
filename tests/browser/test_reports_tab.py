"""The Reports tab of the sandbox LMS's legacy Instructor Dashboard in headless Chromium.

Without Superset: the page loads the vendored Embedded SDK from the LMS's static files (no
request leaves the LMS and Superset's origins), fetches a guest token from the LMS as the
logged-in course staff member, and gives each configured dashboard an iframe on Superset's
``/embedded/<uuid>`` page. With the Superset tier's server (``tests/superset``), each
dashboard renders with its charts drawn.
"""

from __future__ import annotations

import re

import jwt
import pytest
from aspects_platform import dashboards
from common.djangoapps.student.roles import CourseStaffRole
from django.contrib.auth.models import User
from opaque_keys.edx.locator import CourseLocator

from sandbox.clickhouse_server.process import HOST, free_port
from tests.platform.factories import published_empty_course
from tutoraspects.superset_assets import content

COURSE = CourseLocator("OrgA", "C1", "2026")
SECRET = "browser-test-secret-0123456789abcdef0123456789"
AUDIENCE = "aspects"


@pytest.fixture
def staff_page(chromium, lms, login_cookie):
    """A browser page logged in as the course's staff, and the course."""
    published_empty_course(COURSE, "Browser course")
    member = User.objects.create(username="browser_staff", email="staff@example.com")
    CourseStaffRole(COURSE).add_users(member)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([login_cookie(member)])
    page = context.new_page()
    yield page
    context.close()


def test_reports_tab_embeds_each_dashboard_with_the_pinned_sdk(
    staff_page, lms, settings, artifacts
):
    superset = f"http://{HOST}:{free_port()}"  # nothing listens: no Superset in this test
    settings.SUPERSET_CONFIG = {
        "service_url": superset,
        "guest_token_jwt_secret": SECRET,
        "guest_token_jwt_audience": AUDIENCE,
    }
    dashboards.forget_warning()
    requested: list[str] = []
    staff_page.on("request", lambda request: requested.append(request.url))
    token_path = f"/aspects/superset_guest_token/{COURSE}/"
    with staff_page.expect_response(lambda r: token_path in r.url) as token_response:
        staff_page.goto(f"{lms}/courses/{COURSE}/instructor")
    response = token_response.value
    assert response.status == 200
    claims = jwt.decode(
        response.json()["guestToken"], SECRET, algorithms=["HS256"], audience=AUDIENCE
    )
    assert claims["user"]["username"] == "browser_staff"
    expected = [d["uuid"] for d in dashboards.configured_dashboards()]
    frames = staff_page.locator(".aspects-dashboard-embed iframe")
    frames.first.wait_for(state="attached")
    assert frames.count() == len(expected) == 3
    sources = [frames.nth(i).get_attribute("src") for i in range(frames.count())]
    for source, uuid in zip(sources, expected, strict=True):
        assert re.match(rf"^{re.escape(superset)}/embedded/{uuid}(\?|$)", source), source
    sdk = f"{lms}/static/aspects_platform/vendor/superset-embedded-sdk-0.4.0.js"
    assert sdk in requested
    assert all(url.startswith((lms, superset)) for url in requested), requested
    staff_page.screenshot(path=str(artifacts / "reports-tab-without-superset.png"), full_page=True)


#: The state of every chart of an embedded dashboard: drawn (an ECharts canvas, table rows, a
#: big number), an error or empty state, or still loading. ``done`` once ``expected`` charts
#: are all past loading. Charts below the iframe's fold are drawn when scrolled to, as a user
#: would: the first one still waiting is scrolled into view.
CHART_STATES = """
(expected) => {
  const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
  const states = holders.map((holder) => {
    const title = holder.querySelector('.header-title, [data-test="editable-title"]');
    const name = title ? title.innerText : '';
    const error = holder.querySelector('.alert-danger, .ant-alert-error, [role="alert"]');
    if (error) return {name, state: 'error', text: error.innerText};
    if (/No results/i.test(holder.innerText || '')) return {name, state: 'empty'};
    if (holder.querySelector('.loading')) return {name, state: 'loading'};
    const drawn = holder.querySelector(
      '.slice_container canvas, .slice_container table tbody tr, .slice_container .header-line'
    );
    return {name, state: drawn ? 'drawn' : 'pending'};
  });
  const waiting = holders.filter((_, i) => ['loading', 'pending'].includes(states[i].state));
  if (holders.length < expected) window.scrollTo(0, document.body.scrollHeight);
  else if (waiting.length) waiting[0].scrollIntoView();
  const body = (document.body.innerText || '').slice(0, 300);
  return {done: holders.length >= expected && !waiting.length, states, body};
}
"""
CHARTS_DONE = f"(expected) => ({CHART_STATES})(expected).done"


def drawn_chart_states(page, frame, count: int, failure_shot, problems) -> list[dict]:
    """Each chart's state once all ``count`` are past loading (fail with what is seen, and the
    page's ``problems``: console errors and failed responses, if not)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        frame.wait_for_function(CHARTS_DONE, arg=count, timeout=120_000)
    except PlaywrightTimeout:
        page.screenshot(path=str(failure_shot), full_page=True)
        seen = frame.evaluate(f"({CHART_STATES})({count})")
        pytest.fail(
            f"charts not drawn within 120 s ({failure_shot}) in {frame.url}: {seen}\n"
            + "\n".join(problems[-30:])
        )
    return frame.evaluate(f"({CHART_STATES})({count})")["states"]


@pytest.mark.superset
@pytest.mark.timeout(900)
def test_reports_tab_draws_every_chart_of_each_dashboard_from_superset(
    superset, clickhouse, chromium, lms, login_cookie, settings, artifacts
):
    from aspects_platform.settings.common import SINK_SWITCH_NAMES

    from tests.superset.courses import ORGS, seed_courses
    from tests.tiers import backend_config

    settings.EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = backend_config(clickhouse)
    for name in SINK_SWITCH_NAMES:
        setattr(settings, f"EVENT_SINK_CLICKHOUSE_{name.upper()}_ENABLED", True)
    settings.SUPERSET_CONFIG = {
        "service_url": superset.url,
        "guest_token_jwt_secret": superset.guest_token_jwt_secret,
        "guest_token_jwt_audience": superset.guest_token_jwt_audience,
    }
    dashboards.forget_warning()
    [course] = seed_courses(clickhouse, ORGS[:1])
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([login_cookie(course.staff)])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}"[:300]))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"[:300]))
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"[:300]),
    )
    try:
        page.goto(f"{lms}/courses/{course.key}/instructor")
        embedded = {board.uuid: board for board in content.DASHBOARDS if board.embedded}
        configured = [d["uuid"] for d in dashboards.configured_dashboards()]
        assert sorted(configured) == sorted(embedded)
        for index, uuid in enumerate(configured):
            board = embedded[uuid]
            count = sum(len(row) for row in board.rows)
            frame = wait_for_frame(page, f"{superset.url}/embedded/{uuid}")
            iframe = page.locator(".aspects-dashboard-embed iframe").nth(index)
            # In view, as a user reading it: Chromium throttles off-screen cross-origin frames.
            iframe.scroll_into_view_if_needed()
            failure_shot = artifacts / f"reports-tab-superset-{board.slug}-failed.png"
            states = drawn_chart_states(page, frame, count, failure_shot, problems)
            assert len(states) == count, states
            assert {state["state"] for state in states} == {"drawn"}, (board.slug, states)
            frame.evaluate("window.scrollTo(0, 0)")
            iframe.screenshot(path=str(artifacts / f"reports-tab-superset-{board.slug}.png"))
    finally:
        context.close()


def wait_for_frame(page, url_prefix: str, timeout: float = 60.0):
    """The page's frame whose URL starts with ``url_prefix``, once it has loaded."""
    page.wait_for_function(
        "(prefix) => [...document.querySelectorAll('iframe')].some(f => f.src.startsWith(prefix))",
        arg=url_prefix,
        timeout=timeout * 1000,
    )
    [frame] = [frame for frame in page.frames if frame.url.startswith(url_prefix)]
    frame.wait_for_load_state(timeout=timeout * 1000)
    return frame
