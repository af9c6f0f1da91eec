"""Environment variables of the Aspects services and jobs, for compose and Kubernetes.

One definition serves every patch: the compose files inline the values, Kubernetes reads the
secret ones from the ``aspects-secrets`` Secret. Built in Python (Jinja filters and a function
that read the template context), so rendering costs no template compilation.
"""

from __future__ import annotations

import typing as t

from jinja2 import pass_context
from jinja2.runtime import Context

from . import derived
from .templating import compose_scalar, yaml_scalar

SECRET_NAME = "aspects-secrets"
SUPERSET_CONFIG_PATH = "/app/aspects/superset_config.py"
#: The asset bundle (templates/aspects/apps/superset/assets.json) inside the superset job.
SUPERSET_ASSETS_PATH = "/app/aspects-assets/assets.json"

# Environment variable -> config key (or derived value, see derived.py), per service or job.
ENVIRONMENTS: dict[str, dict[str, str]] = {
    # The migration runner's contract (platform-plugin/aspects_platform/clickhouse/migrate.py).
    "clickhouse_job": {
        "ASPECTS_CLICKHOUSE_URL": "ASPECTS_CLICKHOUSE_URL",
        "ASPECTS_CLICKHOUSE_ADMIN_USER": "ASPECTS_CLICKHOUSE_ADMIN_USER",
        "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD": "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD",
        "ASPECTS_CLICKHOUSE_CLUSTER": "ASPECTS_CLICKHOUSE_CLUSTER_NAME",
        "ASPECTS_EVENT_SINK_DATABASE": "ASPECTS_EVENT_SINK_DATABASE",
        "ASPECTS_XAPI_DATABASE": "ASPECTS_XAPI_DATABASE",
        "ASPECTS_XAPI_TABLE": "ASPECTS_XAPI_TABLE",
        "ASPECTS_REPORTING_DATABASE": "ASPECTS_REPORTING_DATABASE",
        "ASPECTS_CLICKHOUSE_LMS_USER": "ASPECTS_CLICKHOUSE_LMS_USER",
        "ASPECTS_CLICKHOUSE_LMS_PASSWORD": "ASPECTS_CLICKHOUSE_LMS_PASSWORD",
        "ASPECTS_CLICKHOUSE_SUPERSET_USER": "ASPECTS_CLICKHOUSE_SUPERSET_USER",
        "ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD": "ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD",
        "ASPECTS_CLICKHOUSE_RALPH_USER": "ASPECTS_CLICKHOUSE_RALPH_USER",
        "ASPECTS_CLICKHOUSE_RALPH_PASSWORD": "ASPECTS_CLICKHOUSE_RALPH_PASSWORD",
        "ASPECTS_CLICKHOUSE_VECTOR_USER": "ASPECTS_CLICKHOUSE_VECTOR_USER",
        "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD": "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD",
    },
    # The official image creates this admin user (with access management) on first start.
    "clickhouse": {
        "CLICKHOUSE_USER": "ASPECTS_CLICKHOUSE_ADMIN_USER",
        "CLICKHOUSE_PASSWORD": "ASPECTS_CLICKHOUSE_ADMIN_PASSWORD",
    },
    "superset": {
        "SUPERSET_PORT": "ASPECTS_SUPERSET_PORT",
    },
    "superset_job": {
        "SUPERSET_ADMIN_USER": "ASPECTS_SUPERSET_ADMIN_USER",
        "SUPERSET_ADMIN_PASSWORD": "ASPECTS_SUPERSET_ADMIN_PASSWORD",
        "SUPERSET_ADMIN_EMAIL": "ASPECTS_SUPERSET_ADMIN_EMAIL",
        "SUPERSET_LMS_USER": "ASPECTS_SUPERSET_LMS_USER",
        "SUPERSET_LMS_PASSWORD": "ASPECTS_SUPERSET_LMS_PASSWORD",
        "SUPERSET_LMS_EMAIL": "ASPECTS_SUPERSET_LMS_EMAIL",
        # The asset bundle's ClickHouse connection password (never in the bundle itself).
        "ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD": "ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD",
        # Metadata database on the LMS's MySQL: created by the job with MySQL's root account.
        "ASPECTS_SUPERSET_METADATA_DB": "ASPECTS_SUPERSET_METADATA_DB_KIND",
        "ASPECTS_SUPERSET_MYSQL_DATABASE": "ASPECTS_SUPERSET_MYSQL_DATABASE",
        "ASPECTS_SUPERSET_MYSQL_USERNAME": "ASPECTS_SUPERSET_MYSQL_USERNAME",
        "ASPECTS_SUPERSET_MYSQL_PASSWORD": "ASPECTS_SUPERSET_MYSQL_PASSWORD",
        "ASPECTS_MYSQL_HOST": "MYSQL_HOST",
        "ASPECTS_MYSQL_PORT": "MYSQL_PORT",
        "ASPECTS_MYSQL_ROOT_USERNAME": "MYSQL_ROOT_USERNAME",
        "ASPECTS_MYSQL_ROOT_PASSWORD": "MYSQL_ROOT_PASSWORD",
    },
    # Ralph's own settings, plus the accounts its start script writes to the auth file.
    "ralph": {
        "RALPH_BACKENDS__LRS__CLICKHOUSE__HOST": "ASPECTS_CLICKHOUSE_HOST",
        "RALPH_BACKENDS__LRS__CLICKHOUSE__PORT": "ASPECTS_CLICKHOUSE_HTTP_PORT",
        "RALPH_BACKENDS__LRS__CLICKHOUSE__DATABASE": "ASPECTS_XAPI_DATABASE",
        "RALPH_BACKENDS__LRS__CLICKHOUSE__EVENT_TABLE_NAME": "ASPECTS_XAPI_TABLE",
        "RALPH_BACKENDS__LRS__CLICKHOUSE__USERNAME": "ASPECTS_CLICKHOUSE_RALPH_USER",
        "RALPH_BACKENDS__LRS__CLICKHOUSE__PASSWORD": "ASPECTS_CLICKHOUSE_RALPH_PASSWORD",
        "RALPH_ADMIN_USER": "ASPECTS_RALPH_ADMIN_USER",
        "RALPH_ADMIN_PASSWORD": "ASPECTS_RALPH_ADMIN_PASSWORD",
        "RALPH_LMS_USER": "ASPECTS_RALPH_LMS_USER",
        "RALPH_LMS_PASSWORD": "ASPECTS_RALPH_LMS_PASSWORD",
        "RALPH_PORT": "ASPECTS_RALPH_PORT",
    },
    # Vector's ClickHouse sink (read by its config files as ${VARIABLE}).
    "vector": {
        "ASPECTS_CLICKHOUSE_URL": "ASPECTS_CLICKHOUSE_URL",
        "ASPECTS_CLICKHOUSE_VECTOR_USER": "ASPECTS_CLICKHOUSE_VECTOR_USER",
        "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD": "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD",
    },
}

#: Config keys an environment carries only when another config key has a given value: the
#: ClickHouse init job creates ``ch_vector`` only when Vector ships the statements.
ONLY_WHEN: dict[str, tuple[str, str]] = {
    "ASPECTS_CLICKHOUSE_VECTOR_USER": ("ASPECTS_XAPI_PIPELINE", "vector"),
    "ASPECTS_CLICKHOUSE_VECTOR_PASSWORD": ("ASPECTS_XAPI_PIPELINE", "vector"),
}


def wanted(context: t.Mapping[str, t.Any], config_key: str) -> bool:
    """False when ``config_key`` serves a choice this configuration did not make."""
    if config_key not in ONLY_WHEN:
        return True
    condition, value = ONLY_WHEN[config_key]
    return context.get(condition) == value


# Fixed values, the same everywhere.
CONSTANTS: dict[str, dict[str, str]] = {
    "clickhouse": {"CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT": "1"},
    "superset": {"SUPERSET_CONFIG_PATH": SUPERSET_CONFIG_PATH},
    "superset_job": {
        "SUPERSET_CONFIG_PATH": SUPERSET_CONFIG_PATH,
        "ASPECTS_SUPERSET_ASSETS": SUPERSET_ASSETS_PATH,
    },
    "ralph": {"RALPH_AUTH_FILE": "/tmp/ralph/auth.json", "RALPH_RUNSERVER_BACKEND": "clickhouse"},
}


def is_secret(config_key: str) -> bool:
    """Passwords and keys: inline in compose files, from the Secret on Kubernetes."""
    return config_key.endswith(("_PASSWORD", "_SECRET_KEY"))


# The config keys the Kubernetes Secret holds: every secret one that an environment uses.
SECRET_KEYS = sorted(
    {key for variables in ENVIRONMENTS.values() for key in variables.values() if is_secret(key)}
)


def environment(context: t.Mapping[str, t.Any], name: str) -> dict[str, tuple[str, str | None]]:
    """``{variable: (value, config key or None)}`` for one service or job."""
    if name not in ENVIRONMENTS:
        raise KeyError(f"unknown environment {name!r}: expected one of {sorted(ENVIRONMENTS)}")
    variables: dict[str, tuple[str, str | None]] = {
        variable: (value, None) for variable, value in CONSTANTS.get(name, {}).items()
    }
    for variable, key in ENVIRONMENTS[name].items():
        if wanted(context, key):
            variables[variable] = (str(derived.value(context, key)), key)
    return variables


@pass_context
def compose_env(context: Context, name: str) -> str:
    """YAML mapping lines for a compose ``environment:`` block (``$`` escaped for compose)."""
    return "\n".join(
        f"{variable}: {compose_scalar(value)}"
        for variable, (value, _key) in environment(context, name).items()
    )


@pass_context
def k8s_env(context: Context, name: str) -> str:
    """YAML list items for a container's ``env:``; secrets by reference to the Secret."""
    lines = []
    for variable, (value, key) in environment(context, name).items():
        lines.append(f"- name: {variable}")
        if key is not None and is_secret(key):
            lines += [
                "  valueFrom:",
                "    secretKeyRef:",
                f"      name: {SECRET_NAME}",
                f"      key: {key}",
            ]
        else:
            lines.append(f"  value: {yaml_scalar(value)}")
    return "\n".join(lines)


@pass_context
def k8s_secret_data(context: Context) -> str:
    """YAML ``stringData`` lines of the Secret: every secret config key any environment uses."""
    return "\n".join(f"{key}: {yaml_scalar(str(context[key]))}" for key in SECRET_KEYS)


FILTERS: list[tuple[str, t.Callable[..., t.Any]]] = [
    ("aspects_compose_env", compose_env),
    ("aspects_k8s_env", k8s_env),
]

# Template functions: `{{ aspects_k8s_secret_data() }}` in the Kubernetes Secret.
VARIABLES: list[tuple[str, t.Any]] = [
    ("aspects_k8s_secret_data", k8s_secret_data),
]
