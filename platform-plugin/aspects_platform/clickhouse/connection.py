"""One way to open a clickhouse-connect client from a URL, used by every component."""

from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

DEFAULT_PORTS = {"http": 8123, "https": 8443}
DEFAULT_TIMEOUT_SECS = 10.0


def parse_url(url: str) -> tuple[str, str, int]:
    """Split ``http[s]://host[:port][/]`` into (scheme, host, port), with ClickHouse's ports."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(
            f"ClickHouse URL {url!r} must start with one of: "
            + ", ".join(f"{s}://" for s in DEFAULT_PORTS)
        )
    if not parts.hostname:
        raise ValueError(f"ClickHouse URL {url!r} has no host name")
    if parts.path not in ("", "/") or parts.query or parts.username or parts.password:
        raise ValueError(
            f"ClickHouse URL {url!r}: give only scheme://host[:port]; "
            "credentials and the database are separate settings"
        )
    return parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def connect(
    url: str,
    username: str,
    password: str,
    database: str | None = None,
    timeout_secs: float = DEFAULT_TIMEOUT_SECS,
    **client_kwargs,
) -> Client:
    """Return a clickhouse-connect HTTP client for ``url`` (e.g. ``http://clickhouse:8123``).

    No session id is generated, so one client may serve several threads.
    """
    scheme, host, port = parse_url(url)
    options = {
        "host": host,
        "port": port,
        "username": username,
        "password": password,
        "secure": scheme == "https",
        "connect_timeout": timeout_secs,
        "send_receive_timeout": timeout_secs,
        "autogenerate_session_id": False,
    }
    if database:
        options["database"] = database
    options.update(client_kwargs)
    return clickhouse_connect.get_client(**options)
