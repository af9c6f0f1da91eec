"""xAPI pipeline settings (each ASPECTS_XAPI_PIPELINE) and the load-test job's ending."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.tutor.fake_docker import TutorSandbox, execute_script, job_service
from tests.tutor.rendered import Rendered, render, run_settings

ASYNC = "eventtracking.backends.async_routing.AsyncRoutingBackend"
BUS = "eventtracking.backends.event_bus.EventBusRoutingBackend"


def erb_defaults() -> dict:
    """The LMS settings namespace after edx-event-routing-backends' own plugin settings."""
    from event_routing_backends.settings import common

    settings = SimpleNamespace(LMS_ROOT_URL="http://lms")
    common.plugin_settings(settings)
    return copy.deepcopy(vars(settings))


def settings_for(rendered: Rendered, **overrides) -> dict:
    from tutoraspects.openedx_settings import common_settings

    config = {**rendered.config(), **{f"ASPECTS_{k.upper()}": v for k, v in overrides.items()}}
    return run_settings(common_settings(config), erb_defaults())


@pytest.mark.parametrize(
    ("pipeline", "engine"),
    [("celery", ASYNC), ("redis_bus", BUS), ("kafka_bus", BUS), ("vector", ASYNC)],
)
def test_each_pipeline_routes_tracking_events_through_erb(
    rendered: Rendered, pipeline: str, engine: str
) -> None:
    settings = settings_for(rendered, xapi_pipeline=pipeline)
    transformer = settings["EVENT_TRACKING_BACKENDS"]["event_transformer"]
    assert transformer["ENGINE"] == engine
    assert set(transformer["OPTIONS"]["backends"]) == {"xapi"}  # Caliper off
    assert transformer["OPTIONS"]["backends"]["xapi"]["OPTIONS"]["backend_name"] == "xAPI"
    assert settings["XAPI_EVENT_LOGGING_ENABLED"] is (pipeline == "vector")
    bus = pipeline.endswith("_bus")
    assert settings.get("SEND_TRACKING_EVENT_EMITTED_SIGNAL", False) is bus
    if pipeline == "redis_bus":
        assert settings["EVENT_BUS_PRODUCER"] == "edx_event_bus_redis.create_producer"
        assert settings["EVENT_BUS_REDIS_CONNECTION_URL"].startswith("redis://")
    if pipeline == "kafka_bus":
        assert settings["EVENT_BUS_CONSUMER"] == "edx_event_bus_kafka.KafkaEventConsumer"
        assert settings["EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    if bus:
        topics = settings["EVENT_BUS_PRODUCER_CONFIG"][
            "org.openedx.analytics.tracking.event.emitted.v1"
        ]
        assert topics["analytics"]["enabled"] is True
        assert settings["EVENT_BUS_TOPIC_PREFIX"] == "openedx"  # the monitor's stream prefix
    if pipeline == "vector":
        assert settings["ASPECTS_VECTOR_API_URL"] == "http://vector:8686/graphql"


def test_batching_is_on_by_default_with_config_values(rendered: Rendered) -> None:
    default = settings_for(rendered)
    assert (
        default["EVENT_ROUTING_BACKEND_BATCHING_ENABLED"],
        default["EVENT_ROUTING_BACKEND_BATCH_SIZE"],
        default["EVENT_ROUTING_BACKEND_BATCH_INTERVAL"],
    ) == (True, 100, 5)
    tuned = settings_for(
        rendered,
        event_routing_batching=False,
        event_routing_batch_size=7,
        event_routing_batch_interval=2,
    )
    assert tuned["EVENT_ROUTING_BACKEND_BATCHING_ENABLED"] is False
    assert tuned["EVENT_ROUTING_BACKEND_BATCH_SIZE"] == 7
    assert tuned["EVENT_ROUTING_BACKEND_BATCH_INTERVAL"] == 2


def test_unknown_pipeline_names_the_choices(rendered: Rendered) -> None:
    with pytest.raises(ValueError, match="celery, redis_bus, kafka_bus, vector"):
        settings_for(rendered, xapi_pipeline="sqs")


def test_settings_without_erb_still_import(rendered: Rendered) -> None:
    from tutoraspects.openedx_settings import common_settings

    settings = run_settings(common_settings(rendered.config()))
    assert "EVENT_TRACKING_BACKENDS" not in settings
    assert settings["ASPECTS_LOAD_TEST_OUTPUT_DIR"] == "/openedx/data/aspects-load-tests"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> TutorSandbox:
    return render(tmp_path_factory.mktemp("tutor-xapi")).box


def load_test_script(sandbox: TutorSandbox, *args: str) -> str:
    run = sandbox.tutor("local", "do", "load-test", *args)
    assert run.returncode == 0, run.output
    (call,) = run.job_calls
    assert job_service(call) == "cms-job"
    return call[-1]


def test_load_test_ends_by_saying_where_the_report_files_are(
    sandbox: TutorSandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = load_test_script(sandbox, "--num-events", "2")
    status, _ = execute_script(script, tmp_path)
    assert status == 0
    out = capfd.readouterr().out
    assert "Report files (CSV, PNG) on the host: $(tutor config printroot)/data/cms-job/" in out
    assert "aspects-load-tests/" in out


def test_no_report_line_when_the_monitor_fails(
    sandbox: TutorSandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = load_test_script(sandbox)
    status, _ = execute_script(script, tmp_path, monitor_load_test_tracking="exit 4")
    assert status == 4
    assert "Report files" not in capfd.readouterr().out


#: Each pipeline rendered with a different RUN switch off: every combination stays valid.
PIPELINE_ROOTS = {
    "celery": (),
    "redis_bus": ("ASPECTS_RUN_CLICKHOUSE=false",),
    "kafka_bus": ("ASPECTS_RUN_RALPH=false",),
    "vector": ("ASPECTS_RUN_SUPERSET=false",),
}
CONSUMER = "aspects-event-bus-consumer"


@pytest.fixture(scope="module", params=sorted(PIPELINE_ROOTS))
def pipeline_root(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Rendered]:
    pipeline = request.param
    root = render(
        tmp_path_factory.mktemp(f"xapi-{pipeline}"),
        f"ASPECTS_XAPI_PIPELINE={pipeline}",
        *PIPELINE_ROOTS[pipeline],
    )
    return pipeline, root


def test_event_buses_run_a_consumer_of_the_tracking_topic(
    pipeline_root: tuple[str, Rendered],
) -> None:
    from tutoraspects.xapi_settings import consumer_command

    pipeline, root = pipeline_root
    services = root.services("local/docker-compose.yml")  # valid YAML, whatever the switches
    deployments = {
        doc["metadata"]["name"]: doc
        for doc in root.yaml_docs("k8s/deployments.yml")
        if doc["kind"] == "Deployment"
    }
    bus = pipeline.endswith("_bus")
    assert (CONSUMER in services) is bus
    assert (CONSUMER in deployments) is bus
    if bus:
        command = ["./manage.py", "lms", "consume_events", "-t", "analytics", "-g"]
        assert services[CONSUMER]["command"][:6] == command
        assert services[CONSUMER]["command"] == consumer_command(pipeline)
        extra = services[CONSUMER]["command"][7:]
        if pipeline == "redis_bus":  # the Redis consumer needs a name; no skipped backlog
            assert extra[0] == "--extra"
            assert json.loads(extra[1]) == {"consumer_name": CONSUMER, "check_backlog": True}
        else:
            assert extra == []  # the Kafka consumer takes no such argument
        assert services[CONSUMER]["image"] == root.config()["DOCKER_IMAGE_OPENEDX"]
        assert services[CONSUMER]["environment"]["SERVICE_VARIANT"] == "lms"
        (container,) = deployments[CONSUMER]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == consumer_command(pipeline)
        mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert "/openedx/edx-platform/lms/envs/tutor/" in mounts  # the LMS settings it needs
    switched_off = {setting.split("=")[0] for setting in PIPELINE_ROOTS[pipeline]}
    for switch, service in {
        "ASPECTS_RUN_CLICKHOUSE": "clickhouse",
        "ASPECTS_RUN_SUPERSET": "superset",
        "ASPECTS_RUN_RALPH": "ralph",
    }.items():
        assert (service in services) is (switch not in switched_off)
        assert (service in deployments) is (switch not in switched_off)


def test_kafka_bus_installs_confluent_kafka_and_names_the_schema_registry(
    pipeline_root: tuple[str, Rendered],
) -> None:
    pipeline, root = pipeline_root
    dockerfile = root.text("build/openedx/Dockerfile")
    assert ("confluent-kafka[avro,schema-registry]" in dockerfile) is (pipeline == "kafka_bus")
    if pipeline == "kafka_bus":
        settings = settings_for(root, xapi_pipeline="kafka_bus")
        assert settings["EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL"] == "http://schema-registry:8081"


def test_vector_ships_logged_statements_as_an_insert_only_user(
    pipeline_root: tuple[str, Rendered],
) -> None:
    pipeline, root = pipeline_root
    services = root.services("local/docker-compose.yml")
    docs = root.yaml_docs("k8s/deployments.yml")
    daemonsets = {doc["metadata"]["name"] for doc in docs if doc["kind"] == "DaemonSet"}
    k8s_services = {doc["metadata"]["name"] for doc in root.yaml_docs("k8s/services.yml")}
    vector = pipeline == "vector"
    assert ("vector" in services) is vector
    assert ("vector" in daemonsets) is vector
    assert ("vector" in k8s_services) is vector
    config = root.config()
    jobs = root.services("local/docker-compose.jobs.yml")
    job_env = jobs["aspects-job"]["environment"]
    # The migrate job creates ch_vector only for the Vector pipeline (no unused login).
    assert job_env.get("ASPECTS_CLICKHOUSE_VECTOR_USER") == ("ch_vector" if vector else None)
    assert ("ASPECTS_CLICKHOUSE_VECTOR_PASSWORD" in job_env) is vector
    (k8s_job,) = [
        doc for doc in root.yaml_docs("k8s/jobs.yml") if doc["metadata"]["name"] == "aspects-job"
    ]
    k8s_job_env = {
        item["name"] for item in k8s_job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert ("ASPECTS_CLICKHOUSE_VECTOR_USER" in k8s_job_env) is vector
    assert ("ASPECTS_CLICKHOUSE_VECTOR_PASSWORD" in k8s_job_env) is vector
    if not vector:
        return
    common = root.yaml("plugins/aspects/apps/vector/common.yaml")
    sink = common["sinks"]["clickhouse_xapi"]  # the name the monitor's backlog reader asks for
    assert (sink["database"], sink["table"]) == ("xapi", "xapi_events_all")
    assert sink["auth"]["user"] == "${ASPECTS_CLICKHOUSE_VECTOR_USER}"
    assert sink["inputs"] == ["xapi_statements"]
    assert "[xapi_tracking]" in common["transforms"]["xapi_statements"]["source"].replace("\\", "")
    assert common["api"]["address"] == "0.0.0.0:8686"
    local = root.yaml("plugins/aspects/apps/vector/local.yaml")["sources"]["openedx_logs"]
    assert local["type"] == "docker_logs"
    assert local["include_containers"] == ["tutor_local-lms-", "tutor_local-cms-"]
    k8s = root.yaml("plugins/aspects/apps/vector/k8s.yaml")["sources"]["openedx_logs"]
    assert k8s["type"] == "kubernetes_logs"
    compose = services["vector"]
    assert compose["image"] == config["ASPECTS_DOCKER_IMAGE_VECTOR"]
    assert (
        compose["environment"]["ASPECTS_CLICKHOUSE_VECTOR_PASSWORD"]
        == (config["ASPECTS_CLICKHOUSE_VECTOR_PASSWORD"])
    )
    for mount in compose["volumes"][:2]:
        assert (root.env / mount.split(":")[0].replace("../", "", 1)).exists(), mount
    daemonset = next(doc for doc in docs if doc["kind"] == "DaemonSet")
    (container,) = daemonset["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    assert env["ASPECTS_CLICKHOUSE_VECTOR_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == (
        "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD"
    )
    assert config["ASPECTS_CLICKHOUSE_VECTOR_PASSWORD"] not in root.text("k8s/deployments.yml")
    generator = root.patch("kustomization-configmapgenerator")
    assert "plugins/aspects/apps/vector/k8s.yaml" in generator
