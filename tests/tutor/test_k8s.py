"""Kubernetes manifests: valid YAML, the compose services' names, secrets by reference."""

from __future__ import annotations

from typing import Any

from tests.tutor.rendered import Rendered

SECRETS_FILE = "plugins/aspects/apps/k8s/secrets.yml"


def named(rendered: Rendered, relative: str, kind: str) -> dict[str, dict[str, Any]]:
    docs = rendered.yaml_docs(relative)
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return manifest["spec"]["template"]["spec"]["containers"]


def test_same_names_as_compose(rendered: Rendered) -> None:
    services = {"clickhouse", "superset", "ralph"}
    assert services <= set(named(rendered, "k8s/deployments.yml", "Deployment"))
    assert services <= set(named(rendered, "k8s/services.yml", "Service"))
    assert {"aspects-job", "superset-job"} <= set(named(rendered, "k8s/jobs.yml", "Job"))
    assert {"clickhouse", "superset"} <= set(
        named(rendered, "k8s/volumes.yml", "PersistentVolumeClaim")
    )


def test_run_switches_apply_to_k8s(rendered_all_off: Rendered) -> None:
    deployments = named(rendered_all_off, "k8s/deployments.yml", "Deployment")
    assert not {"clickhouse", "superset", "ralph"} & set(deployments)
    assert not {"clickhouse", "superset", "ralph"} & set(
        named(rendered_all_off, "k8s/services.yml", "Service")
    )
    assert {"aspects-job", "superset-job"} <= set(named(rendered_all_off, "k8s/jobs.yml", "Job"))


def test_passwords_come_from_the_secret(rendered: Rendered) -> None:
    secrets = rendered.secrets()
    for relative in ("k8s/deployments.yml", "k8s/jobs.yml"):
        text = rendered.text(relative)
        leaked = [key for key, value in secrets.items() if value in text]
        assert not leaked, f"{relative} holds {leaked}"
    job = named(rendered, "k8s/jobs.yml", "Job")["aspects-job"]
    env = {item["name"]: item for item in containers(job)[0]["env"]}
    ref = env["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "aspects-secrets", "key": "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"}
    assert env["ASPECTS_CLICKHOUSE_URL"]["value"] == "http://clickhouse:8123"

    stored = named(rendered, SECRETS_FILE, "Secret")["aspects-secrets"]["stringData"]
    config = rendered.config()
    assert (
        stored["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"] == config["ASPECTS_CLICKHOUSE_ADMIN_PASSWORD"]
    )
    assert stored["ASPECTS_RALPH_LMS_PASSWORD"] == config["ASPECTS_RALPH_LMS_PASSWORD"]


def test_every_secret_reference_resolves(rendered: Rendered) -> None:
    stored = named(rendered, SECRETS_FILE, "Secret")
    for relative in ("k8s/deployments.yml", "k8s/jobs.yml"):
        for manifest in rendered.yaml_docs(relative):
            if manifest["kind"] not in ("Deployment", "Job"):
                continue
            for container in containers(manifest):
                for item in container.get("env", []):
                    ref = item.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        assert ref["key"] in stored[ref["name"]]["stringData"], item["name"]
    superset_config = stored["aspects-superset-config"]["stringData"]["superset_config.py"]
    compile(superset_config, "superset_config.py", "exec")


def test_kustomization_lists_our_files(rendered: Rendered) -> None:
    kustomization = rendered.yaml("kustomization.yml")
    assert SECRETS_FILE in kustomization["resources"]
    generators = {item["name"]: item for item in kustomization["configMapGenerator"]}
    names = ("aspects-clickhouse-config", "aspects-clickhouse-users", "aspects-ralph-config")
    for name in (*names, "aspects-superset-assets"):
        for path in generators[name]["files"]:
            assert (rendered.env / path).is_file(), path
    configmaps = {
        volume["configMap"]["name"]
        for manifest in rendered.yaml_docs("k8s/deployments.yml")
        if manifest["kind"] == "Deployment"
        for volume in manifest["spec"]["template"]["spec"].get("volumes", [])
        if "configMap" in volume
    }
    assert {name for name in configmaps if name.startswith("aspects-")} <= set(generators)
