"""docker-compose services and job services rendered by `tutor config save` (local and dev)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tutor.conftest import AWKWARD_PASSWORD
from tests.tutor.rendered import Rendered, render

LOCAL = "local/docker-compose.yml"
JOBS = "local/docker-compose.jobs.yml"
DEV = "dev/docker-compose.yml"
SWITCHES = {
    "ASPECTS_RUN_CLICKHOUSE": "clickhouse",
    "ASPECTS_RUN_SUPERSET": "superset",
    "ASPECTS_RUN_RALPH": "ralph",
}


def test_services_use_the_configured_images(rendered: Rendered) -> None:
    services = rendered.services(LOCAL)
    config = rendered.config()
    assert services["clickhouse"]["image"] == config["ASPECTS_DOCKER_IMAGE_CLICKHOUSE"]
    assert services["clickhouse"]["image"].endswith("clickhouse/clickhouse-server:25.8")
    assert services["superset"]["image"] == config["ASPECTS_DOCKER_IMAGE_SUPERSET"]
    assert ":6." in services["superset"]["image"]
    assert services["ralph"]["image"] == config["ASPECTS_DOCKER_IMAGE_RALPH"]


def test_clickhouse_keeps_data_mounts_its_config_and_answers_ping(rendered: Rendered) -> None:
    clickhouse = rendered.services(LOCAL)["clickhouse"]
    volumes = clickhouse["volumes"]
    assert "../../data/clickhouse:/var/lib/clickhouse:z" in volumes
    for folder in ("config.d", "users.d"):
        mounted = f"../plugins/aspects/apps/clickhouse/{folder}/aspects.xml"
        assert any(volume.startswith(mounted + ":") for volume in volumes)
        assert (rendered.env / "local" / mounted).resolve().is_file()
    assert "/ping" in " ".join(clickhouse["healthcheck"]["test"])
    config = rendered.config()
    assert clickhouse["environment"]["CLICKHOUSE_USER"] == config["ASPECTS_CLICKHOUSE_ADMIN_USER"]
    assert (
        clickhouse["environment"]["CLICKHOUSE_PASSWORD"]
        == config["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"]
    )


def test_every_mounted_plugin_file_exists(rendered: Rendered) -> None:
    for compose in (LOCAL, JOBS):
        for name, service in rendered.services(compose).items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("../plugins/aspects/"):
                    path = (rendered.env / "local" / source).resolve()
                    assert path.exists(), f"{name} mounts missing {source}"


def test_superset_and_ralph_have_health_and_start_up(rendered: Rendered) -> None:
    services = rendered.services(LOCAL)
    assert "/health" in " ".join(services["superset"]["healthcheck"]["test"])
    assert services["ralph"]["entrypoint"] == ["sh", "/etc/aspects/ralph/start.sh"]
    assert services["ralph"]["depends_on"]["clickhouse"]["condition"] == "service_healthy"


def test_job_services_exist_with_the_migration_env_contract(rendered: Rendered) -> None:
    jobs = rendered.services(JOBS)
    config = rendered.config()
    aspects = jobs["aspects-job"]
    assert aspects["image"] == config["DOCKER_IMAGE_OPENEDX"]
    env = aspects["environment"]
    assert env["ASPECTS_CLICKHOUSE_URL"] == "http://clickhouse:8123"
    assert env["ASPECTS_CLICKHOUSE_CLUSTER"] == ""
    for short in ("ADMIN", "LMS", "SUPERSET", "RALPH"):
        assert env[f"ASPECTS_CLICKHOUSE_{short}_USER"] == config[f"ASPECTS_CLICKHOUSE_{short}_USER"]
        assert (
            env[f"ASPECTS_CLICKHOUSE_{short}_PASSWORD"]
            == config[f"ASPECTS_CLICKHOUSE_{short}_PASSWORD"]
        )
    for key in ("EVENT_SINK_DATABASE", "XAPI_DATABASE", "XAPI_TABLE", "REPORTING_DATABASE"):
        assert env[f"ASPECTS_{key}"] == config[f"ASPECTS_{key}"]
    assert aspects["depends_on"] == ["clickhouse"]
    superset = jobs["superset-job"]
    assert superset["image"] == config["ASPECTS_DOCKER_IMAGE_SUPERSET"]
    assert (
        superset["environment"]["SUPERSET_ADMIN_PASSWORD"]
        == (config["ASPECTS_SUPERSET_ADMIN_PASSWORD"])
    )


def test_permissions_cover_the_data_folders(rendered: Rendered) -> None:
    volumes = rendered.services(LOCAL)["permissions"]["volumes"]
    assert "../../data/clickhouse:/mounts/clickhouse:z" in volumes
    assert "../../data/superset:/mounts/superset:z" in volumes
    script = rendered.text("apps/permissions/setowners.sh")
    assert "setowner 101 /mounts/clickhouse" in script
    assert "setowner 1000 /mounts/superset" in script


def test_dev_publishes_the_service_ports(rendered: Rendered) -> None:
    dev = rendered.services(DEV)
    assert dev["superset"]["ports"] == ["8088:8088"]
    assert dev["clickhouse"]["ports"] == ["127.0.0.1:8123:8123"]
    assert dev["ralph"]["ports"] == ["127.0.0.1:8100:8100"]


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_each_run_switch_removes_only_its_service(switch: str, tmp_path: Path) -> None:
    off = render(tmp_path, f"{switch}=false")
    local, dev = off.services(LOCAL), off.services(DEV)
    for other, service in SWITCHES.items():
        assert (service in local) is (other != switch), service
        assert (service in dev) is (other != switch), service
    # Job services stay: ClickHouse may be external, and the Superset init then says it skips.
    assert {"aspects-job", "superset-job"} <= set(off.services(JOBS))


def test_all_switches_off(rendered_all_off: Rendered) -> None:
    local = rendered_all_off.services(LOCAL)
    assert not set(SWITCHES.values()) & set(local)
    jobs = rendered_all_off.services(JOBS)
    assert "depends_on" not in jobs["aspects-job"] or jobs["aspects-job"]["depends_on"] == []
    assert jobs["aspects-job"]["environment"]["ASPECTS_CLICKHOUSE_URL"] == (
        "https://clickhouse.example.org:8123"
    )
    volumes = local["permissions"]["volumes"]
    assert not [volume for volume in volumes if "clickhouse" in volume or "superset" in volume]


def test_awkward_password_survives_yaml_and_compose_interpolation(
    rendered_all_off: Rendered,
) -> None:
    env = rendered_all_off.services(JOBS)["aspects-job"]["environment"]
    # docker compose turns `$$` back into `$`; any single `$` would be interpolated instead.
    assert env["ASPECTS_CLICKHOUSE_LMS_PASSWORD"].replace("$$", "$") == AWKWARD_PASSWORD
    assert rendered_all_off.config()["ASPECTS_CLICKHOUSE_LMS_PASSWORD"] == AWKWARD_PASSWORD
