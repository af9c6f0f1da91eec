"""One way to open a clickhouse-connect client from a URL, used by every component."""

import re
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

DEFAULT_PORTS = {"http": 8123, "https": 8443}
DEFAULT_TIMEOUT_SECS = 10.0
USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?.*@", re.DOTALL)


def display_url(url: str) -> str:
    """``url`` safe to print: ``user:password@`` becomes ``***@``, a query or fragment ``?***``.

    Everything up to the last ``@`` is treated as credentials, so a password holding ``/``,
    ``?``, ``#`` or ``@`` is never shown in part.
    """
    text = USERINFO.sub(lambda m: f"{m.group('scheme') or ''}***@", str(url).strip(), count=1)
    base = re.split(r"[?#]", text, maxsplit=1)[0]
    return base if base == text else f"{base}?***"


def parse_url(url: str) -> tuple[str, str, int]:
    """Split ``http[s]://host[:port][/]`` into (scheme, host, port), with ClickHouse's ports."""
    shown = repr(display_url(url))  # never the raw URL: it may carry a password
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(
            f"ClickHouse URL {shown} must start with one of: "
            + ", ".join(f"{s}://" for s in DEFAULT_PORTS)
        )
    if not parts.hostname:
        raise ValueError(f"ClickHouse URL {shown} has no host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(
            f"ClickHouse URL {shown}: give only scheme://host[:port]; "
            "credentials and the database are separate settings"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(
            f"ClickHouse URL {shown}: the port must be a number from 1 to 65535"
        ) from None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


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
