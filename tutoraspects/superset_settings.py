"""Superset's configuration file and our asset bundle, rendered from the Tutor configuration.

Both are template functions (``aspects_superset_config()``, ``aspects_superset_bundle()``):
nothing is computed when the plugin is imported, only when Tutor renders the files. Values are
written with ``repr`` (``python_literal``), so a quote in a password cannot break the file.
"""

from __future__ import annotations

import json
import typing as t
from urllib.parse import quote

from jinja2 import pass_context
from jinja2.runtime import Context

from . import derived
from .templating import python_literal

Config = t.Mapping[str, t.Any]

GUEST_ROLE_NAME = "aspects_guest"
#: Superset's guest-token endpoint: exempt from CSRF so the LMS service user can call it.
GUEST_TOKEN_VIEW = "superset.security.api.guest_token"
METADATA_DATABASES = ("mysql", "sqlite")


def _scheme(config: Config) -> str:
    return "https" if config["ENABLE_HTTPS"] else "http"


def frame_origins(config: Config) -> list[str]:
    """Origins that may frame Superset (CSP frame-ancestors) and embed dashboards."""
    scheme = _scheme(config)
    origins = [f"{scheme}://{config['LMS_HOST']}", f"{scheme}://{config['CMS_HOST']}"]
    origins += [str(origin) for origin in config["ASPECTS_SUPERSET_EXTRA_FRAME_ORIGINS"]]
    return list(dict.fromkeys(origins))


def metadata_uri(config: Config) -> str:
    """SQLAlchemy URI of Superset's metadata database (see ASPECTS_SUPERSET_METADATA_DB)."""
    if config["ASPECTS_SUPERSET_DB_URI"]:
        return str(config["ASPECTS_SUPERSET_DB_URI"])
    kind = config["ASPECTS_SUPERSET_METADATA_DB"]
    if kind == "sqlite":
        return f"sqlite:///{config['ASPECTS_SUPERSET_SQLITE_PATH']}"
    if kind == "mysql":
        user = quote(str(config["ASPECTS_SUPERSET_MYSQL_USERNAME"]), safe="")
        password = quote(str(config["ASPECTS_SUPERSET_MYSQL_PASSWORD"]), safe="")
        database = quote(str(config["ASPECTS_SUPERSET_MYSQL_DATABASE"]), safe="")
        return (
            f"mysql+pymysql://{user}:{password}@{config['MYSQL_HOST']}:{config['MYSQL_PORT']}"
            f"/{database}?charset=utf8mb4"
        )
    raise ValueError(
        f"ASPECTS_SUPERSET_METADATA_DB={kind!r} is not valid: choose one of "
        f"{', '.join(METADATA_DATABASES)} (or set ASPECTS_SUPERSET_DB_URI)"
    )


def redis_url(config: Config, database: int) -> str:
    """Tutor's Redis, one logical database."""
    credentials = ""
    if config.get("REDIS_USERNAME") or config.get("REDIS_PASSWORD"):
        user = quote(str(config.get("REDIS_USERNAME") or ""), safe="")
        password = quote(str(config.get("REDIS_PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@"
    return f"redis://{credentials}{config['REDIS_HOST']}:{config['REDIS_PORT']}/{int(database)}"


def _cache(prefix: str, url: str) -> dict[str, t.Any]:
    return {
        "CACHE_TYPE": "RedisCache",
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_KEY_PREFIX": f"aspects_superset_{prefix}_",
        "CACHE_REDIS_URL": url,
    }


def superset_config(config: Config) -> str:
    """The body of ``superset_config.py`` (Python source; holds secrets)."""
    cache_url = redis_url(config, config["ASPECTS_SUPERSET_CACHE_REDIS_DB"])
    celery_url = redis_url(config, config["ASPECTS_SUPERSET_CELERY_REDIS_DB"])
    ancestors = ["'self'", *frame_origins(config)]
    values = {
        "SECRET_KEY": config["ASPECTS_SUPERSET_SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": metadata_uri(config),
        "SUPERSET_WEBSERVER_PORT": config["ASPECTS_SUPERSET_PORT"],
        "ENABLE_PROXY_FIX": config["ENABLE_WEB_PROXY"],
        "FEATURE_FLAGS": {"EMBEDDED_SUPERSET": True, "DASHBOARD_RBAC": True},
        "GUEST_ROLE_NAME": GUEST_ROLE_NAME,
        "GUEST_TOKEN_JWT_SECRET": config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_SECRET"],
        "GUEST_TOKEN_JWT_ALGO": "HS256",
        "GUEST_TOKEN_JWT_AUDIENCE": config["ASPECTS_SUPERSET_GUEST_TOKEN_JWT_AUDIENCE"],
        "CACHE_CONFIG": _cache("cache", cache_url),
        "DATA_CACHE_CONFIG": _cache("data", cache_url),
        "FILTER_STATE_CACHE_CONFIG": _cache("filter_state", cache_url),
        "EXPLORE_FORM_DATA_CACHE_CONFIG": _cache("explore_form_data", cache_url),
    }
    lines = [f"{name} = {python_literal(value)}" for name, value in values.items()]
    lines += [
        "",
        "# Superset's own defaults, extended (not replaced) below.",
        "import superset.config as _superset_defaults",
        "",
        "# Talisman stays on; the LMS and CMS may frame Superset (the Reports tab).",
        "TALISMAN_ENABLED = True",
        "TALISMAN_CONFIG = dict(_superset_defaults.TALISMAN_CONFIG)",
        "TALISMAN_CONFIG['frame_options'] = None",
        "TALISMAN_CONFIG['content_security_policy'] = {",
        "    **(TALISMAN_CONFIG.get('content_security_policy') or {}),",
        f"    'frame-ancestors': {python_literal(ancestors)},",
        "}",
        "# The guest-token endpoint joins Superset's CSRF-exempt views (the defaults stay).",
        "WTF_CSRF_EXEMPT_LIST = [",
        "    *_superset_defaults.WTF_CSRF_EXEMPT_LIST,",
        f"    {python_literal(GUEST_TOKEN_VIEW)},",
        "]",
        "",
        "",
        "class CeleryConfig:",
        "    broker_url = " + python_literal(celery_url),
        "    result_backend = " + python_literal(celery_url),
        "    imports = ('superset.sql_lab', 'superset.tasks.scheduler')",
        "    worker_prefetch_multiplier = 1",
        "    task_acks_late = True",
        "",
        "",
        "CELERY_CONFIG = CeleryConfig",
    ]
    return "\n".join(lines)


def bundle_settings(config: Config) -> t.Any:
    """The bundle builder's settings for this deployment."""
    from .superset_assets.bundle import BundleSettings

    return BundleSettings(
        clickhouse_url=derived.clickhouse_url(config),
        clickhouse_user=str(config["ASPECTS_CLICKHOUSE_SUPERSET_USER"]),
        reporting_database=str(config.get("ASPECTS_REPORTING_DATABASE") or "reporting"),
        event_sink_database=str(config["ASPECTS_EVENT_SINK_DATABASE"]),
        xapi_database=str(config["ASPECTS_XAPI_DATABASE"]),
        xapi_table=str(config["ASPECTS_XAPI_TABLE"]),
        locales=tuple(str(locale) for locale in config["ASPECTS_SUPERSET_DASHBOARD_LOCALES"]),
        allowed_domains=tuple(frame_origins(config)),
    )


def bundle_json(config: Config) -> str:
    """The asset bundle document the init job imports (JSON)."""
    from .superset_assets.bundle import build

    return json.dumps(build(bundle_settings(config)), indent=1, sort_keys=True)


@pass_context
def _config_function(context: Context) -> str:
    return superset_config(context)


@pass_context
def _bundle_function(context: Context) -> str:
    return bundle_json(context)


# Template functions: `{{ aspects_superset_config() }}`, `{{ aspects_superset_bundle() }}`.
VARIABLES: list[tuple[str, t.Any]] = [
    ("aspects_superset_config", _config_function),
    ("aspects_superset_bundle", _bundle_function),
]
