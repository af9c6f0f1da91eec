"""Values computed from the configuration rather than stored in it.

Each is a function of other keys, so it never needs setting; keeping them out of Tutor's
configuration also keeps `tutor config save` fast (Tutor renders and copies every config
value many times per save).
"""

from __future__ import annotations

import typing as t

Config = t.Mapping[str, t.Any]


def clickhouse_url(config: Config) -> str:
    """The ClickHouse HTTP(S) URL that the LMS, Ralph, Superset and the init job use."""
    scheme = "https" if config["ASPECTS_CLICKHOUSE_SECURE"] else "http"
    return (
        f"{scheme}://{config['ASPECTS_CLICKHOUSE_HOST']}:{config['ASPECTS_CLICKHOUSE_HTTP_PORT']}"
    )


def superset_internal_url(config: Config) -> str:
    """Superset as the LMS reaches it: the in-cluster service, or the public URL if external."""
    if config["ASPECTS_RUN_SUPERSET"]:
        return f"http://superset:{config['ASPECTS_SUPERSET_PORT']}/"
    return str(config["ASPECTS_SUPERSET_URL"])


def ralph_xapi_url(config: Config) -> str:
    """Where the LMS sends xAPI statements (Ralph's xAPI endpoint)."""
    return f"http://ralph:{config['ASPECTS_RALPH_PORT']}/xAPI/"


def superset_admin_email(config: Config) -> str:
    return str(config["CONTACT_EMAIL"])


def superset_lms_email(config: Config) -> str:
    return f"{config['ASPECTS_SUPERSET_LMS_USER']}@{config['LMS_HOST']}"


def superset_metadata_db_kind(config: Config) -> str:
    """What the init job prepares: "mysql" (database and user), or "" (nothing to create)."""
    if config["ASPECTS_SUPERSET_DB_URI"]:
        return ""
    return "mysql" if config["ASPECTS_SUPERSET_METADATA_DB"] == "mysql" else ""


DERIVED: dict[str, t.Callable[[Config], str]] = {
    "ASPECTS_CLICKHOUSE_URL": clickhouse_url,
    "ASPECTS_SUPERSET_INTERNAL_URL": superset_internal_url,
    "ASPECTS_RALPH_XAPI_URL": ralph_xapi_url,
    "ASPECTS_SUPERSET_ADMIN_EMAIL": superset_admin_email,
    "ASPECTS_SUPERSET_LMS_EMAIL": superset_lms_email,
    "ASPECTS_SUPERSET_METADATA_DB_KIND": superset_metadata_db_kind,
}


def value(config: Config, key: str) -> t.Any:
    """A configuration value, or a derived one (names in ``DERIVED``)."""
    if key in DERIVED:
        return DERIVED[key](config)
    return config[key]
