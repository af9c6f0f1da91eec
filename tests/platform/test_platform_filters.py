"""The Reports-tab pipeline steps, run through the real openedx-filters pipelines.

``OPEN_EDX_FILTERS_CONFIG`` is the one the Tutor plugin writes into the LMS settings (its merge
code executed here) when tutor is importable, else the same dotted paths written out.
"""

from __future__ import annotations

import logging
import types
from pathlib import Path

import pytest
from aspects_platform import dashboards, filters
from aspects_platform.settings import common, production
from django.test import override_settings
from django.utils import translation
from opaque_keys.edx.keys import CourseKey
from openedx_filters.learning.filters import (
    InstructorDashboardRenderStarted,
    InstructorDashboardTabsRequested,
)

LEGACY_FILTER = "org.openedx.learning.instructor.dashboard.render.started.v1"
MFE_FILTER = "org.openedx.learning.instructor.dashboard.tabs.requested.v1"
#: The dotted paths as the Tutor plugin spells them (checked against it when it is importable).
EXPECTED_STEPS = {
    LEGACY_FILTER: "aspects_platform.filters.AddSupersetTab",
    MFE_FILTER: "aspects_platform.filters.AddSupersetTabToInstructorDashboard",
}
COURSE_KEY = CourseKey.from_string("course-v1:OpenedX+DemoX+Demo_Course")
SUPERSET = {
    "service_url": "https://superset.example.org",
    "internal_service_url": "http://superset:8088",
    "username": "lms",
    "password": "secret",
}
TEMPLATE_NAME = "instructor_dashboard_2/instructor_dashboard_2.html"


def tutor_filters_config() -> dict | None:
    """OPEN_EDX_FILTERS_CONFIG as the Tutor plugin's settings code builds it (None: no tutor)."""
    try:
        from tutoraspects.openedx_settings import merge_filters_source
    except ImportError:
        return None
    namespace: dict = {}
    exec(merge_filters_source(), namespace)  # noqa: S102
    return namespace["OPEN_EDX_FILTERS_CONFIG"]


def filters_config() -> dict:
    """The filters configuration the tests run with."""
    return tutor_filters_config() or {
        name: {"fail_silently": True, "pipeline": [step]} for name, step in EXPECTED_STEPS.items()
    }


@pytest.fixture(autouse=True)
def sink_backend():
    """No ClickHouse here: replaces the tier's autouse fixture of the same name."""
    yield


@pytest.fixture(autouse=True)
def fresh_warning():
    dashboards.forget_warning()
    yield
    dashboards.forget_warning()


@pytest.fixture
def reports_settings():
    """Filters wired as in production, a Superset URL and the default dashboards."""
    with override_settings(
        OPEN_EDX_FILTERS_CONFIG=filters_config(),
        SUPERSET_CONFIG=dict(SUPERSET),
        ASPECTS_INSTRUCTOR_DASHBOARDS=common.defaults()["ASPECTS_INSTRUCTOR_DASHBOARDS"],
    ):
        yield


def legacy_context(**extra) -> dict:
    course = types.SimpleNamespace(id=COURSE_KEY)
    return {"course": course, "sections": [{"section_key": "course_info"}], **extra}


def run_legacy(context: dict) -> tuple[dict, str]:
    return InstructorDashboardRenderStarted.run_filter(context=context, template_name=TEMPLATE_NAME)


def run_mfe(tabs: list) -> tuple[list, object, CourseKey]:
    return InstructorDashboardTabsRequested.run_filter(tabs=tabs, user=None, course_key=COURSE_KEY)


def test_step_paths_match_the_tutor_plugin():
    config = tutor_filters_config()
    if config is None:
        pytest.skip("tutoraspects is not importable here (platform-only environment)")
    assert {name: entry["pipeline"] for name, entry in config.items()} == {
        name: [step] for name, step in EXPECTED_STEPS.items()
    }
    # Our own entries fail silently: a broken step never takes the whole dashboard down.
    assert all(entry["fail_silently"] is True for entry in config.values())


#: Another plugin's entries that re-raise every error of their pipeline.
STRICT_OTHER_PLUGIN = {
    LEGACY_FILTER: {"fail_silently": False, "pipeline": []},
    MFE_FILTER: {"fail_silently": False, "pipeline": []},
}


@pytest.mark.parametrize("strict", [False, True], ids=["our-entries", "strict-other-plugin"])
def test_a_failing_step_leaves_the_dashboard_as_it_was(strict, caplog):
    """A dashboard list that is not a list makes our step fail: logged, dashboard unchanged."""
    config = filters_config()
    if strict:
        config = {name: dict(entry) for name, entry in config.items()}
        for name, entry in STRICT_OTHER_PLUGIN.items():
            config[name] = {**entry, "pipeline": list(config[name]["pipeline"])}
    with override_settings(
        OPEN_EDX_FILTERS_CONFIG=config,
        SUPERSET_CONFIG=dict(SUPERSET),
        ASPECTS_INSTRUCTOR_DASHBOARDS=5,
    ):
        with caplog.at_level(logging.ERROR):
            context, template_name = run_legacy(legacy_context())
        tabs, _, _ = run_mfe([{"tab_id": "course_info"}])
    assert [section["section_key"] for section in context["sections"]] == ["course_info"]
    assert template_name == TEMPLATE_NAME
    # The MFE step does not read the dashboards: it still adds its tab.
    assert [tab["tab_id"] for tab in tabs] == ["course_info", "aspects"]
    assert "TypeError" in caplog.text and "AddSupersetTab failed" in caplog.text


def test_a_dashboard_entry_without_slug_is_logged_and_left_out(reports_settings, caplog):
    entries = [{"name": "No slug", "uuid": "1d6bf904-f53f-47fd-b1c9-6cd7e284d286"}]
    entries += common.defaults()["ASPECTS_INSTRUCTOR_DASHBOARDS"]
    with override_settings(ASPECTS_INSTRUCTOR_DASHBOARDS=entries):
        with caplog.at_level(logging.ERROR):
            context, _ = run_legacy(legacy_context())
    section = context["sections"][-1]
    assert [d["slug"] for d in section["dashboards"]] == [
        "course-dashboard",
        "individual-learner",
        "learner-groups",
    ]
    assert "Configuration error: ASPECTS_INSTRUCTOR_DASHBOARDS[0] has no slug" in caplog.text


def test_legacy_section_uses_the_users_language_copy(reports_settings):
    with override_settings(SUPERSET_DASHBOARD_LOCALES=["en", "fr_CA", "fr"]):
        with translation.override("fr-ca"):
            canadian, _ = run_legacy(legacy_context())
        with translation.override("de"):
            german, _ = run_legacy(legacy_context())
    first = canadian["sections"][-1]["dashboards"][0]
    assert first["slug"] == "course-dashboard-fr_CA"
    assert first["uuid"] == dashboards.locale_uuid("c0e64194-33d1-4d5a-8c10-4f51530c5ee9", "fr_CA")
    assert first["url"] == "https://superset.example.org/superset/dashboard/course-dashboard-fr_CA/"
    assert german["sections"][-1]["dashboards"][0]["slug"] == "course-dashboard"


def test_mfe_tab_is_appended_after_existing_tabs(reports_settings):
    existing = [{"tab_id": "course_info", "title": "Course Info", "url": "/x", "sort_order": 10}]
    tabs, user, course_key = run_mfe(list(existing))
    assert tabs == [
        *existing,
        {
            "tab_id": "aspects",
            "title": "Reports",
            "url": "/instructor-dashboard/course-v1:OpenedX+DemoX+Demo_Course/aspects/",
            "sort_order": 120,
        },
    ]
    assert course_key == COURSE_KEY and user is None


def test_mfe_tab_is_added_once(reports_settings):
    once, _, _ = run_mfe([])
    twice, _, _ = run_mfe(once)
    assert [tab["tab_id"] for tab in twice] == ["aspects"]


def test_mfe_step_with_no_tabs_returns_a_list(reports_settings):
    tabs, _, _ = run_mfe(None)
    assert [tab["tab_id"] for tab in tabs] == ["aspects"]


def test_legacy_section_lists_the_dashboards(reports_settings):
    context, template_name = run_legacy(legacy_context())
    assert template_name == TEMPLATE_NAME
    assert [section["section_key"] for section in context["sections"]] == [
        "course_info",
        "aspects",
    ]
    section = context["sections"][-1]
    assert section["section_display_name"] == "Reports"
    assert section["course_id"] == "course-v1:OpenedX+DemoX+Demo_Course"
    assert section["superset_url"] == "https://superset.example.org/"
    assert section["template_path_prefix"] == "/instructor_dashboard/"
    assert section["superset_guest_token_url"] == (
        "/aspects/superset_guest_token/course-v1:OpenedX+DemoX+Demo_Course/"
    )
    assert section["superset_sdk_url"] == (
        "/static/aspects_platform/vendor/superset-embedded-sdk-0.4.0.js"
    )
    assert section["embed_script_url"] == "/static/aspects_platform/js/embed_dashboards.js"
    assert section["show_dashboard_link"] is True
    assert section["dashboards"] == [
        {
            "name": "Course Dashboard",
            "slug": "course-dashboard",
            "uuid": "c0e64194-33d1-4d5a-8c10-4f51530c5ee9",
            "url": "https://superset.example.org/superset/dashboard/course-dashboard/",
        },
        {
            "name": "Individual Learner Dashboard",
            "slug": "individual-learner",
            "uuid": "abae8a25-1ba4-4653-81bd-d3937a162a11",
            "url": "https://superset.example.org/superset/dashboard/individual-learner/",
        },
        {
            "name": "At-Risk Learners Dashboard",
            "slug": "learner-groups",
            "uuid": "8661d20c-cee6-4245-9fcc-610daea5fd24",
            "url": "https://superset.example.org/superset/dashboard/learner-groups/",
        },
    ]


def test_legacy_section_is_added_once(reports_settings):
    context, _ = run_legacy(legacy_context())
    context, _ = run_legacy(context)
    assert [section["section_key"] for section in context["sections"]].count("aspects") == 1


def test_legacy_course_id_falls_back_to_context_course_id(reports_settings):
    context, _ = run_legacy({"course_id": COURSE_KEY})
    assert context["sections"][0]["course_id"] == str(COURSE_KEY)


def test_without_service_url_nothing_is_added_and_one_warning_is_logged(caplog):
    config = {**SUPERSET, "service_url": ""}
    with override_settings(OPEN_EDX_FILTERS_CONFIG=filters_config(), SUPERSET_CONFIG=config):
        with caplog.at_level(logging.WARNING, logger="aspects_platform.dashboards"):
            tabs, _, course_key = run_mfe([{"tab_id": "course_info"}])
            context, template_name = run_legacy(legacy_context())
            run_legacy(legacy_context())
    assert tabs == [{"tab_id": "course_info"}] and course_key == COURSE_KEY
    assert context["sections"] == [{"section_key": "course_info"}]
    assert template_name == TEMPLATE_NAME
    warnings = [r for r in caplog.records if "service_url" in r.getMessage()]
    assert len(warnings) == 1
    assert "secret" not in caplog.text


def render_section(section: dict) -> str:
    mako_lookup = pytest.importorskip("mako.lookup")
    # Mako directories as edx-platform builds them: the settings list + our plugin_settings.
    settings_module = types.SimpleNamespace(MAKO_TEMPLATE_DIRS_BASE=[])
    common.plugin_settings(settings_module)
    lookup = mako_lookup.TemplateLookup(
        directories=[str(d) for d in settings_module.MAKO_TEMPLATE_DIRS_BASE]
    )
    path = f"{section['template_path_prefix']}{section['section_key']}.html"
    return lookup.get_template(path).render(section_data=section)


def test_mako_section_embeds_and_links_every_dashboard(reports_settings):
    context, _ = run_legacy(legacy_context())
    html = render_section(context["sections"][-1])
    for board in common.DEFAULT_INSTRUCTOR_DASHBOARDS:
        assert f'href="https://superset.example.org/superset/dashboard/{board["slug"]}/"' in html
        assert (
            f'<div class="aspects-dashboard-embed" data-dashboard-uuid="{board["uuid"]}">' in html
        )
    assert ">At-Risk Learners Dashboard</h4>" in html
    assert 'data-course-id="course-v1:OpenedX+DemoX+Demo_Course"' in html
    assert 'data-superset-url="https://superset.example.org/"' in html
    assert (
        'data-guest-token-url="/aspects/superset_guest_token/course-v1:OpenedX+DemoX+Demo_Course/"'
        in html
    )
    sdk = '<script src="/static/aspects_platform/vendor/superset-embedded-sdk-0.4.0.js"></script>'
    assert sdk in html and "unpkg" not in html and "jsdelivr" not in html
    with override_settings(SUPERSET_SHOW_INSTRUCTOR_DASHBOARD_LINK=False):
        context, _ = run_legacy(legacy_context())
    assert "href=" not in render_section(context["sections"][-1])


def test_mako_section_escapes_names_and_slugs():
    hostile = [
        {
            "name": '<script>alert("x")</script> O\'Brien & co',
            "slug": 'evil"><img src=x>',
            "uuid": "00000000-0000-0000-0000-000000000000",
            "allow_translations": False,
        }
    ]
    with override_settings(
        OPEN_EDX_FILTERS_CONFIG=filters_config(),
        SUPERSET_CONFIG=dict(SUPERSET),
        ASPECTS_INSTRUCTOR_DASHBOARDS=hostile,
    ):
        context, _ = run_legacy(legacy_context())
    html = render_section(context["sections"][-1])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Brien &amp; co" in html
    assert context["sections"][-1]["dashboards"][0]["url"].endswith(
        "/superset/dashboard/evil%22%3E%3Cimg%20src%3Dx%3E/"
    )


def test_common_settings_add_defaults_and_the_mako_dir_once():
    module = types.SimpleNamespace(MAKO_TEMPLATE_DIRS_BASE=["/edx/lms/templates"])
    common.plugin_settings(module)
    common.plugin_settings(module)
    templates = Path(filters.__file__).parent / "templates"
    assert module.MAKO_TEMPLATE_DIRS_BASE == ["/edx/lms/templates", templates]
    assert (templates / "instructor_dashboard" / "aspects.html").is_file()
    assert module.SUPERSET_CONFIG["service_url"] == ""
    assert module.SUPERSET_DASHBOARD_LOCALES == ["en"]
    assert module.SUPERSET_EXTRA_FILTERS_FORMAT == []
    assert [d["slug"] for d in module.ASPECTS_INSTRUCTOR_DASHBOARDS] == [
        "course-dashboard",
        "individual-learner",
        "learner-groups",
    ]
    assert all(d["allow_translations"] for d in module.ASPECTS_INSTRUCTOR_DASHBOARDS)


def test_common_settings_without_mako_dirs_add_none():
    module = types.SimpleNamespace()
    common.plugin_settings(module)
    assert not hasattr(module, "MAKO_TEMPLATE_DIRS_BASE")


def test_production_settings_merge_superset_config_from_env_tokens():
    module = types.SimpleNamespace(
        ENV_TOKENS={
            "SUPERSET_CONFIG": {"service_url": "https://reports.example.org/"},
            "SUPERSET_DASHBOARD_LOCALES": ["en", "fr_CA"],
            "ASPECTS_INSTRUCTOR_DASHBOARDS": [{"name": "A", "slug": "a", "uuid": "u"}],
        }
    )
    common.plugin_settings(module)
    production.plugin_settings(module)
    assert module.SUPERSET_CONFIG["service_url"] == "https://reports.example.org/"
    assert module.SUPERSET_CONFIG["username"] == "", "keys missing from the YAML keep defaults"
    assert module.SUPERSET_DASHBOARD_LOCALES == ["en", "fr_CA"]
    assert module.ASPECTS_INSTRUCTOR_DASHBOARDS == [{"name": "A", "slug": "a", "uuid": "u"}]


def test_dashboard_defaults_match_the_tutor_plugin():
    try:
        from tutoraspects.config import INSTRUCTOR_DASHBOARDS
    except ImportError:
        pytest.skip("tutoraspects is not importable here (platform-only environment)")
    assert common.defaults()["ASPECTS_INSTRUCTOR_DASHBOARDS"] == INSTRUCTOR_DASHBOARDS
