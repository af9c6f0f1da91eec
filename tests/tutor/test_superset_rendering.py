"""Superset as the plugin renders it: config file, asset bundle, image, job, no leaked secret.

The config file imports ``superset.config`` (to extend its defaults), which only exists in
Superset's own virtualenv: here its literal assignments are read with ``ast``; the superset
tier loads the same file in Superset itself (tests/superset/test_superset_config.py).
"""

from __future__ import annotations

import ast
import json

import pytest

from tests.tutor.freshness import REPO
from tests.tutor.rendered import Rendered, literal_assignments

CONFIG_FILE = "plugins/aspects/apps/superset/superset_config.py"
ASSETS_FILE = "plugins/aspects/apps/superset/assets.json"
INIT_SCRIPT = "plugins/aspects/jobs/init/superset.sh"


def assignment(code: str, name: str) -> ast.expr:
    """The expression assigned to ``name`` at top level (the last assignment wins)."""
    found = None
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [name]:
            found = node.value
    assert found is not None, f"{name} is not assigned"
    return found


@pytest.fixture(scope="module")
def superset_config(rendered: Rendered) -> str:
    return rendered.text(CONFIG_FILE)


def test_guest_tokens_and_embedding(rendered: Rendered, superset_config: str) -> None:
    config = rendered.config()
    values = literal_assignments(superset_config)
    assert values["FEATURE_FLAGS"]["EMBEDDED_SUPERSET"] is True
    assert values["GUEST_ROLE_NAME"] == "aspects_guest"
    assert values["GUEST_TOKEN_JWT_SECRET"] == config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_SECRET"]
    assert len(values["GUEST_TOKEN_JWT_SECRET"]) >= 32
    assert values["GUEST_TOKEN_JWT_AUDIENCE"] == "aspects"
    assert values["SECRET_KEY"] == config["ASPECTS_SUPERSET_SECRET_KEY"]


def test_talisman_stays_on_and_lets_the_lms_and_cms_frame_superset(
    rendered: Rendered, superset_config: str
) -> None:
    config = rendered.config()
    assert literal_assignments(superset_config)["TALISMAN_ENABLED"] is True
    source = ast.unparse(ast.parse(superset_config))
    assert "TALISMAN_CONFIG = dict(_superset_defaults.TALISMAN_CONFIG)" in source
    assert "TALISMAN_CONFIG['frame_options'] = None" in source
    policy = assignment(superset_config, "TALISMAN_CONFIG['content_security_policy']")
    assert isinstance(policy, ast.Dict)
    # Superset's own policy first (**defaults), then frame-ancestors.
    assert policy.keys[0] is None
    assert ast.literal_eval(policy.keys[1]) == "frame-ancestors"
    assert ast.literal_eval(policy.values[1]) == [
        "'self'",
        f"http://{config['LMS_HOST']}",
        f"http://{config['CMS_HOST']}",
    ]


def test_csrf_exempt_list_is_extended_not_replaced(superset_config: str) -> None:
    value = assignment(superset_config, "WTF_CSRF_EXEMPT_LIST")
    assert isinstance(value, ast.List)
    assert ast.unparse(value.elts[0]) == "*_superset_defaults.WTF_CSRF_EXEMPT_LIST"
    assert [ast.literal_eval(e) for e in value.elts[1:]] == ["superset.security.api.guest_token"]


def test_metadata_database_is_the_lms_mysql_by_default(
    rendered: Rendered, superset_config: str
) -> None:
    config = rendered.config()
    uri = literal_assignments(superset_config)["SQLALCHEMY_DATABASE_URI"]
    assert uri == (
        f"mysql+pymysql://superset:{config['ASPECTS_SUPERSET_MYSQL_PASSWORD']}"
        f"@{config['MYSQL_HOST']}:{config['MYSQL_PORT']}/superset?charset=utf8mb4"
    )
    job = rendered.services("local/docker-compose.jobs.yml")["superset-job"]["environment"]
    assert job["ASPECTS_SUPERSET_METADATA_DB"] == "mysql"
    assert job["ASPECTS_SUPERSET_MYSQL_PASSWORD"] == config["ASPECTS_SUPERSET_MYSQL_PASSWORD"]
    assert job["ASPECTS_MYSQL_ROOT_PASSWORD"] == config["MYSQL_ROOT_PASSWORD"]
    # The Superset service itself gets no MySQL root password.
    service = rendered.services("local/docker-compose.yml")["superset"]["environment"]
    assert config["MYSQL_ROOT_PASSWORD"] not in json.dumps(service)


def test_caches_and_celery_on_tutors_redis(rendered: Rendered, superset_config: str) -> None:
    config = rendered.config()
    values = literal_assignments(superset_config)
    redis = f"redis://{config['REDIS_HOST']}:{config['REDIS_PORT']}"
    for name in (
        "CACHE_CONFIG",
        "DATA_CACHE_CONFIG",
        "FILTER_STATE_CACHE_CONFIG",
        "EXPLORE_FORM_DATA_CACHE_CONFIG",
    ):
        assert values[name]["CACHE_TYPE"] == "RedisCache"
        assert values[name]["CACHE_REDIS_URL"] == f"{redis}/3"
    assert f"broker_url = '{redis}/4'" in superset_config
    assert literal_assignments(superset_config).get("CELERY_CONFIG") is None
    assert "CELERY_CONFIG = CeleryConfig" in superset_config


def test_bundle_connects_as_the_read_only_user_without_its_password(rendered: Rendered) -> None:
    config = rendered.config()
    bundle = json.loads(rendered.text(ASSETS_FILE))
    database = bundle["files"][bundle["database_file"]]
    user = config["ASPECTS_CLICKHOUSE_SUPERSET_USER"]
    assert f"sqlalchemy_uri: clickhousedb://{user}:XXXXXXXXXX@clickhouse:8123/reporting" in database
    text = rendered.text(ASSETS_FILE)
    leaked = [key for key, value in rendered.secrets().items() if value in text]
    assert not leaked
    job = rendered.services("local/docker-compose.jobs.yml")["superset-job"]
    assert job["environment"]["ASPECTS_SUPERSET_ASSETS"] == "/app/aspects-assets/assets.json"
    assert (
        "../plugins/aspects/apps/superset/assets.json:/app/aspects-assets/assets.json:ro"
        in (job["volumes"])
    )


def test_import_superset_assets_puts_no_secret_on_a_command_line(rendered: Rendered) -> None:
    run = rendered.box.tutor("local", "do", "import-superset-assets")
    assert run.returncode == 0, run.output
    assert run.job_calls, run.docker_calls
    argv = json.dumps(run.job_calls)
    assert "ImportAssetsCommand" in argv
    leaked = [key for key, value in rendered.secrets().items() if value in argv]
    leaked += [key for key, value in rendered.secrets().items() if value in run.output]
    assert not leaked


def test_image_is_the_tested_superset_release(rendered: Rendered) -> None:
    config = rendered.config()
    pins = (REPO / "requirements" / "superset.txt").read_text().splitlines()
    [release] = [pin.split("==")[1] for pin in pins if pin.startswith("apache-superset==")]
    assert release == "6.1.0"
    assert config["ASPECTS_SUPERSET_BASE_IMAGE"] == f"docker.io/apache/superset:{release}"
    assert f":{release}-" in config["ASPECTS_DOCKER_IMAGE_SUPERSET"]
    dockerfile = rendered.text("plugins/aspects/build/aspects-superset/Dockerfile")
    for requirement in ("clickhouse-connect", "pymysql", "cachetools"):
        assert requirement in dockerfile
