"""Value rendering helpers: what they write reads back as exactly the value given."""

from __future__ import annotations

import ast
import json

import pytest
import yaml
from tutor import config as tutor_config

from tutoraspects import config, derived, service_env
from tutoraspects.templating import compose_scalar, python_literal, yaml_scalar

AWKWARD = [
    "plain",
    "quote'single",
    'quote"double',
    "back\\slash",
    "new\nline",
    "$dollar ${brace} $$",
    "{{ jinja }} {% tag %}",
    "ünïcødé ✓",
    "",
    "# not a comment",
    "key: value",
]


@pytest.mark.parametrize("value", AWKWARD)
def test_python_literal_round_trips(value: str) -> None:
    source = python_literal({"password": value, "list": [value, 1, 2.5, True, None]})
    assert ast.literal_eval(source) == {"password": value, "list": [value, 1, 2.5, True, None]}


@pytest.mark.parametrize("value", AWKWARD)
def test_yaml_scalar_round_trips(value: str) -> None:
    assert yaml.safe_load(f"key: {yaml_scalar(value)}") == {"key": value}
    assert json.loads(yaml_scalar(value)) == value


def test_compose_scalar_escapes_interpolation() -> None:
    assert yaml.safe_load(f"k: {compose_scalar('a$b')}") == {"k": "a$$b"}
    assert compose_scalar(8123) == "8123"


@pytest.mark.parametrize("value", [object(), float("nan"), {1, 2}, b"bytes"])
def test_only_plain_data_is_rendered(value: object) -> None:
    with pytest.raises(TypeError, match="cannot render"):
        python_literal(value)
    with pytest.raises(TypeError, match="cannot render"):
        yaml_scalar(value)


def test_unknown_environment_names_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="clickhouse_job"):
        service_env.environment({}, "nope")


def test_derived_urls() -> None:
    config = {
        "ASPECTS_CLICKHOUSE_SECURE": True,
        "ASPECTS_CLICKHOUSE_HOST": "ch.example.org",
        "ASPECTS_CLICKHOUSE_HTTP_PORT": 8443,
        "ASPECTS_RUN_SUPERSET": False,
        "ASPECTS_SUPERSET_URL": "https://bi.example.org/",
        "ASPECTS_SUPERSET_PORT": 8088,
    }
    assert derived.value(config, "ASPECTS_CLICKHOUSE_URL") == "https://ch.example.org:8443"
    assert derived.value(config, "ASPECTS_SUPERSET_INTERNAL_URL") == "https://bi.example.org/"
    config["ASPECTS_RUN_SUPERSET"] = True
    assert derived.value(config, "ASPECTS_SUPERSET_INTERNAL_URL") == "http://superset:8088/"
    assert derived.value(config, "ASPECTS_SUPERSET_PORT") == 8088


def test_every_environment_entry_names_a_config_key_or_a_derived_value() -> None:
    known = {key for key, _ in config.prefixed({**config.DEFAULTS, **config.UNIQUE})}
    known |= set(derived.DERIVED)
    # Tutor's own keys (e.g. MYSQL_ROOT_PASSWORD for the Superset metadata database).
    known |= set(tutor_config.get_defaults()) | set(tutor_config.get_base())
    used = {key for variables in service_env.ENVIRONMENTS.values() for key in variables.values()}
    assert used - known == set()
