"""The connection helper and the package's import contract (no Django, no chdb)."""

import subprocess
import sys

import pytest
from aspects_platform.clickhouse.connection import connect, display_url, parse_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://clickhouse:8123", ("http", "clickhouse", 8123)),
        ("http://clickhouse", ("http", "clickhouse", 8123)),
        ("https://ch.example.org", ("https", "ch.example.org", 8443)),
        ("https://ch.example.org:9443/", ("https", "ch.example.org", 9443)),
    ],
)
def test_parse_url(url, expected):
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("clickhouse:8123", "must start with one of: http://, https://"),
        ("tcp://clickhouse:9000", "must start with one of"),
        ("http://", "has no host name"),
        ("http://user:pw@clickhouse:8123", "credentials and the database are separate"),
        ("http://clickhouse:8123/event_sink", "give only scheme://host[:port]"),
    ],
)
def test_bad_urls_are_refused_with_the_valid_form(url, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_url(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://ch_admin:S3cretPassw0rd@clickhouse:8123", "'http://***@clickhouse:8123'"),
        ("https://S3cretPassw0rd@clickhouse", "'https://***@clickhouse'"),
        ("ch_admin:S3cretPassw0rd@clickhouse:8123", "'***@clickhouse:8123'"),
        ("tcp://u:S3cretPassw0rd@clickhouse:9000", "'tcp://***@clickhouse:9000'"),
        ("http://u:S3cret/Passw0rd@clickhouse:8123", "'http://***@clickhouse:8123'"),
        ("http://u:S3cret?Passw0rd@clickhouse:8123", "'http://***@clickhouse:8123'"),
        ("http://u:S3cret@Passw0rd@clickhouse:8123", "'http://***@clickhouse:8123'"),
        ("http://clickhouse:8123/?password=S3cretPassw0rd", "'http://clickhouse:8123/?***'"),
        ("http://clickhouse:8123/#S3cretPassw0rd", "'http://clickhouse:8123/?***'"),
    ],
)
def test_a_password_in_a_bad_url_is_never_in_the_error(url, shown):
    with pytest.raises(ValueError, match="ClickHouse URL") as refused:
        parse_url(url)
    message = str(refused.value)
    assert "S3cret" not in message and "Passw0rd" not in message
    assert shown in message
    assert display_url(url) == shown.strip("'")


def test_bad_port_is_refused_clearly():
    with pytest.raises(ValueError, match="port must be a number from 1 to 65535"):
        parse_url("http://clickhouse:http")


def test_connect_returns_a_working_client(clickhouse):
    client = connect(clickhouse.url, clickhouse.username, clickhouse.password, timeout_secs=5)
    assert client.command("SELECT 1") == 1
    scoped = connect(
        clickhouse.url, clickhouse.username, clickhouse.password, clickhouse.event_sink_database
    )
    assert scoped.command("SELECT currentDatabase()") == clickhouse.event_sink_database


def test_package_imports_without_django_or_chdb():
    code = (
        "import sys\n"
        "for blocked in ('django', 'chdb', 'tutor'):\n"
        "    sys.modules[blocked] = None\n"
        "import aspects_platform.clickhouse.migrate, aspects_platform.clickhouse.users\n"
        "import aspects_platform.clickhouse.runner, aspects_platform.clickhouse.schema\n"
        "from aspects_platform.clickhouse.schema import load_migrations\n"
        "print(len(load_migrations()))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 4
