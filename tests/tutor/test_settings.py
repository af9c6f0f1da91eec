"""LMS/CMS settings patches: they compile, carry the right values and merge the filters config."""

from __future__ import annotations

import copy
import json

import pytest

from tests.tutor.conftest import AWKWARD_PASSWORD, PIP_SPEC
from tests.tutor.rendered import Rendered, run_settings

SETTINGS_FILES = [
    "apps/openedx/settings/lms/production.py",
    "apps/openedx/settings/lms/development.py",
    "apps/openedx/settings/cms/production.py",
    "apps/openedx/settings/cms/development.py",
]
RENDER_STARTED = "org.openedx.learning.instructor.dashboard.render.started.v1"
TABS_REQUESTED = "org.openedx.learning.instructor.dashboard.tabs.requested.v1"
OUR_STEPS = {
    RENDER_STARTED: "aspects_platform.filters.AddSupersetTab",
    TABS_REQUESTED: "aspects_platform.filters.AddSupersetTabToInstructorDashboard",
}
PII_FLAGS = [
    "EVENT_SINK_CLICKHOUSE_USER_PROFILE_ENABLED",
    "EVENT_SINK_CLICKHOUSE_EXTERNAL_ID_ENABLED",
]


def test_cluster_name_reaches_the_backend_config(rendered: Rendered) -> None:
    from tutoraspects.openedx_settings import common_settings

    config = {**rendered.config(), "ASPECTS_CLICKHOUSE_CLUSTER_NAME": "analytics"}
    settings = run_settings(common_settings(config))
    assert settings["EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG"]["cluster"] == "analytics"


@pytest.mark.parametrize("path", SETTINGS_FILES)
def test_settings_files_compile_and_carry_the_patch(rendered: Rendered, path: str) -> None:
    source = rendered.text(path)
    compile(source, path, "exec")
    assert "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = " in source
    assert "aspects_platform.filters.AddSupersetTab" in source


def test_backend_and_superset_settings(rendered: Rendered) -> None:
    config = rendered.config()
    settings = run_settings(rendered.patch("openedx-common-settings"))
    assert settings["EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG"] == {
        "url": "http://clickhouse:8123",
        "username": config["ASPECTS_CLICKHOUSE_LMS_USER"],
        "password": config["ASPECTS_CLICKHOUSE_LMS_PASSWORD"],
        "database": "event_sink",
        "timeout_secs": config["ASPECTS_CLICKHOUSE_TIMEOUT_SECS"],
        "xapi_database": "xapi",
        "xapi_table": "xapi_events_all",
        "reporting_database": "reporting",
        "cluster": "",
    }
    assert settings["SUPERSET_CONFIG"] == {
        "service_url": f"http://superset.{config['LMS_HOST']}/",
        "internal_service_url": "http://superset:8088/",
        "username": config["ASPECTS_SUPERSET_LMS_USER"],
        "password": config["ASPECTS_SUPERSET_LMS_PASSWORD"],
    }
    assert settings["EVENT_SINK_CLICKHOUSE_PII_MODELS"] == ["user_profile", "external_id"]
    assert settings["SUPERSET_DASHBOARD_LOCALES"] == ["en"]
    assert settings["SUPERSET_EXTRA_FILTERS_FORMAT"] == []
    dashboards = settings["ASPECTS_INSTRUCTOR_DASHBOARDS"]
    assert [board["slug"] for board in dashboards] == [
        "course-dashboard",
        "individual-learner",
        "learner-groups",
    ]
    assert all(set(board) == {"name", "slug", "uuid", "allow_translations"} for board in dashboards)


def test_pii_sinks_only_when_pii_is_on(rendered: Rendered, rendered_all_off: Rendered) -> None:
    off = run_settings(rendered.patch("openedx-common-settings"))
    assert off["EVENT_SINK_CLICKHOUSE_COURSE_OVERVIEWS_ENABLED"] is True
    assert off["EVENT_SINK_CLICKHOUSE_COURSE_ENROLLMENT_ENABLED"] is True
    assert not [flag for flag in PII_FLAGS if flag in off]
    # Retirement keeps deleting what was dumped while PII was on.
    assert off["EVENT_SINK_CLICKHOUSE_AUTH_USER_ENABLED"] is True
    on = run_settings(rendered_all_off.patch("openedx-common-settings"))
    assert all(on[flag] is True for flag in PII_FLAGS)


def test_awkward_values_arrive_intact(rendered_all_off: Rendered) -> None:
    settings = run_settings(rendered_all_off.patch("openedx-common-settings"))
    backend = settings["EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG"]
    assert backend["password"] == AWKWARD_PASSWORD
    assert backend["url"] == "https://clickhouse.example.org:8123"


def test_filters_config_is_created_when_absent(rendered: Rendered) -> None:
    settings = run_settings(rendered.patch("openedx-common-settings"))
    assert settings["OPEN_EDX_FILTERS_CONFIG"] == {
        filter_type: {"fail_silently": True, "pipeline": [step]}
        for filter_type, step in OUR_STEPS.items()
    }
    assert not [name for name in settings if name.startswith("_aspects")]


ENROLLMENT_STARTED = "org.openedx.learning.course.enrollment.started.v1"
#: Another plugin's filters configuration, in each form openedx-filters accepts.
OTHER_PLUGIN_FORMS = {
    "dict": {
        RENDER_STARTED: {"fail_silently": False, "pipeline": ["other.steps.First"], "x": 1},
        TABS_REQUESTED: {"pipeline": ("other.steps.Tab", "other.steps.Tab2")},
    },
    "dict-with-string-pipeline": {
        RENDER_STARTED: {"pipeline": "other.steps.First"},
        TABS_REQUESTED: {"fail_silently": True, "pipeline": "other.steps.Tab"},
    },
    "list": {
        RENDER_STARTED: ["other.steps.First"],
        TABS_REQUESTED: ("other.steps.Tab", "other.steps.Tab2"),
    },
    "string": {RENDER_STARTED: "other.steps.First", TABS_REQUESTED: "other.steps.Tab"},
}


def pipeline_and_fail_silently(entry: object) -> tuple[list[str], object]:
    """The steps and ``fail_silently`` openedx-filters reads from one entry (unset: absent)."""
    if isinstance(entry, dict):
        steps = entry.get("pipeline") or []
        steps = [steps] if isinstance(steps, str) else list(steps)
        return steps, entry.get("fail_silently", "unset")
    if isinstance(entry, str):
        return [entry], "unset"
    return list(entry), "unset"


@pytest.mark.parametrize("form", sorted(OTHER_PLUGIN_FORMS))
def test_filters_config_of_another_plugin_is_merged_in_every_form(
    rendered: Rendered, form: str
) -> None:
    """Each form: no exception, their steps kept first, ours once, their fail_silently kept."""
    from openedx_filters.tooling import OpenEdxPublicFilter

    existing = {
        **OTHER_PLUGIN_FORMS[form],
        ENROLLMENT_STARTED: {"fail_silently": False, "pipeline": ["other.steps.Enroll"]},
    }
    code = "\n".join(rendered.patch(name) for name in ("openedx-common-settings",) * 2)
    namespace = {"OPEN_EDX_FILTERS_CONFIG": copy.deepcopy(existing)}
    merged = run_settings(code, namespace)["OPEN_EDX_FILTERS_CONFIG"]
    assert merged[ENROLLMENT_STARTED] == existing[ENROLLMENT_STARTED]
    for filter_type, our_step in OUR_STEPS.items():
        their_steps, their_fail_silently = pipeline_and_fail_silently(existing[filter_type])
        steps, fail_silently = pipeline_and_fail_silently(merged[filter_type])
        assert steps == [*their_steps, our_step]
        assert fail_silently == their_fail_silently
        if isinstance(existing[filter_type], dict):
            extra = {k: v for k, v in existing[filter_type].items() if k != "pipeline"}
            assert {k: v for k, v in merged[filter_type].items() if k != "pipeline"} == extra

        # openedx-filters' own parser reads the merged entry as intended.
        class Filter(OpenEdxPublicFilter):
            @classmethod
            def get_filter_config(cls, entry=merged[filter_type]):
                return entry

        pipeline, silently, _ = Filter.get_pipeline_configuration()
        assert pipeline == [*their_steps, our_step]
        assert silently is (their_fail_silently in ("unset", True))


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", {"fail_silently": True, "pipeline": ["ours"]}),
        ([], {"fail_silently": True, "pipeline": ["ours"]}),
        ({}, {"pipeline": ["ours"]}),
        ("ours", ["ours"]),
        (["ours"], ["ours"]),
        (
            {"pipeline": "ours", "fail_silently": False},
            {"pipeline": ["ours"], "fail_silently": False},
        ),
    ],
    ids=["empty-string", "empty-list", "empty-dict", "string-ours", "list-ours", "dict-ours"],
)
def test_filters_config_empty_or_already_ours(rendered: Rendered, existing, expected) -> None:
    """Empty entries get ours (failing silently); an entry holding our step keeps it once."""
    code = rendered.patch("openedx-common-settings")
    step = OUR_STEPS[RENDER_STARTED]
    entry = json.loads(json.dumps(existing).replace('"ours"', json.dumps(step)))
    namespace = {"OPEN_EDX_FILTERS_CONFIG": {RENDER_STARTED: entry}}
    merged = run_settings(code, namespace)["OPEN_EDX_FILTERS_CONFIG"][RENDER_STARTED]
    assert merged == json.loads(json.dumps(expected).replace('"ours"', json.dumps(step)))


def test_development_settings_point_the_browser_at_the_dev_port(rendered: Rendered) -> None:
    config = rendered.config()
    settings = run_settings(
        rendered.patch("openedx-common-settings")
        + "\n"
        + rendered.patch("openedx-development-settings")
    )
    assert settings["SUPERSET_CONFIG"]["service_url"] == (
        f"http://superset.{config['LMS_HOST']}:8088/"
    )


def test_dockerfile_installs_the_app_from_the_build_context(rendered: Rendered) -> None:
    dockerfile = rendered.text("build/openedx/Dockerfile")
    assert "COPY aspects-platform /openedx/aspects-platform\n" in dockerfile
    assert "RUN pip install /openedx/aspects-platform\n" in dockerfile


def test_dockerfile_installs_the_pip_spec_instead(rendered_all_off: Rendered) -> None:
    dockerfile = rendered_all_off.text("build/openedx/Dockerfile")
    assert "aspects-platform /openedx/aspects-platform" not in dockerfile
    assert f"RUN pip install '{PIP_SPEC}'\n" in dockerfile


def test_superset_config_holds_its_settings(rendered: Rendered) -> None:
    config = rendered.config()
    settings = run_settings(rendered.text("plugins/aspects/apps/superset/superset_config.py"))
    assert settings["SECRET_KEY"] == config["ASPECTS_SUPERSET_SECRET_KEY"]
    assert settings["SQLALCHEMY_DATABASE_URI"] == config["ASPECTS_SUPERSET_DB_URI"]
    assert settings["FEATURE_FLAGS"]["EMBEDDED_SUPERSET"] is True


def test_external_superset_is_reached_at_its_public_url(rendered_all_off: Rendered) -> None:
    superset = run_settings(rendered_all_off.patch("openedx-common-settings"))["SUPERSET_CONFIG"]
    assert superset["internal_service_url"] == superset["service_url"]
