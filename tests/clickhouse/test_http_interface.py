"""The HTTP interface as our code and clickhouse-connect use it (embedded or real server)."""
# ruff: noqa: S608 - table names in these tests are generated identifiers, values are bound

import dataclasses
import gzip
import json
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_plus

import lz4.frame
import pytest
import requests

from tests.clickhouse.relay import Relay, WireRequest, sent_body

try:
    from compression import zstd
except ImportError:  # Python < 3.14
    from backports import zstd

HOSTILE_VALUES = [
    "it's",
    'say "hi"',
    "back\\slash \\n not a newline",
    "line one\nline two\r\nline three\ttab",
    "'; DROP TABLE user_profile; --",
    "\\'; DROP TABLE user_profile; --",
    "emoji 🎉🚀 and RTL שלום עליכם مرحبا",
    "{name:String} $1 %s ?",
    "",
]


@pytest.fixture
def http(clickhouse):
    session = requests.Session()
    session.auth = (clickhouse.username, clickhouse.password)
    yield session
    session.close()


@pytest.fixture
def scratch_table(clickhouse):
    """A throw-away table in the test event sink database."""
    client = clickhouse.client()
    name = f"`{clickhouse.event_sink_database}`.`scratch_{uuid.uuid4().hex[:8]}`"
    client.command(f"CREATE TABLE {name} (id Int64, s String) ENGINE = MergeTree ORDER BY id")
    yield name
    client.command(f"DROP TABLE IF EXISTS {name}")


def test_ping(clickhouse):
    response = requests.get(f"{clickhouse.url}/ping", timeout=5)
    assert response.status_code == 200
    assert response.text == "Ok.\n"


@pytest.mark.parametrize("how", ["basic", "headers", "url"])
def test_wrong_password_is_refused_with_clickhouse_error(clickhouse, how):
    user, wrong = clickhouse.username, clickhouse.password + "x"
    kwargs = {"params": {"query": "SELECT 1"}, "timeout": 5}
    if how == "basic":
        kwargs["auth"] = (user, wrong)
    elif how == "headers":
        kwargs["headers"] = {"X-ClickHouse-User": user, "X-ClickHouse-Key": wrong}
    else:
        kwargs["params"].update(user=user, password=wrong)
    response = requests.post(clickhouse.url, **kwargs)
    assert response.status_code == 403  # exceptionCodeToHTTPStatus: AUTHENTICATION_FAILED
    assert response.headers["X-ClickHouse-Exception-Code"] == "516"
    assert response.text.startswith(
        f"Code: 516. DB::Exception: {user}: Authentication failed: password is incorrect, "
        "or there is no user with such name."
    )
    assert wrong not in response.text


def test_unknown_user_gets_the_same_answer(clickhouse):
    response = requests.post(
        clickhouse.url, params={"query": "SELECT 1"}, auth=("nobody_here", "x"), timeout=5
    )
    assert response.status_code == 403
    assert response.text.startswith("Code: 516. DB::Exception: nobody_here: Authentication failed")


def test_right_credentials_every_way(clickhouse):
    user, password = clickhouse.username, clickhouse.password
    ways = [
        {"auth": (user, password)},
        {"headers": {"X-ClickHouse-User": user, "X-ClickHouse-Key": password}},
        {"params": {"user": user, "password": password}},
    ]
    for way in ways:
        params = {"query": "SELECT 41 + 1", **way.pop("params", {})}
        response = requests.post(clickhouse.url, params=params, timeout=5, **way)
        assert response.status_code == 200, response.text
        assert response.text == "42\n"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("SELECT * FROM no_such_database_x.no_such_table", 404, "81"),
        ("SELECT * FROM system.no_such_table_x", 404, "60"),
        ("SELEC 1", 400, "62"),
        ("SELECT throwIf(1, 'boom')", 500, "395"),
    ],
)
def test_errors_carry_code_and_status(http, clickhouse, query, status, code):
    response = http.post(clickhouse.url, params={"query": query}, timeout=5)
    assert response.status_code == status
    assert response.headers["X-ClickHouse-Exception-Code"] == code
    assert response.text.startswith(f"Code: {code}. DB::Exception: ")


def test_query_in_body_and_formats(http, clickhouse):
    response = http.post(clickhouse.url, data="SELECT 1 AS a, 'x' AS b FORMAT JSONEachRow")
    assert response.status_code == 200
    assert json.loads(response.text) == {"a": 1, "b": "x"}
    assert response.headers["X-ClickHouse-Format"] == "JSONEachRow"

    response = http.get(
        clickhouse.url, params={"query": "SELECT 1 AS a", "default_format": "CSVWithNames"}
    )
    assert response.text == '"a"\n1\n'
    assert response.headers["X-ClickHouse-Format"] == "CSVWithNames"

    response = http.post(clickhouse.url, params={"query": "SELECT 1,"}, data=" 2")
    assert response.text == "1\t2\n"


def test_get_is_read_only(http, clickhouse, scratch_table):
    response = http.get(
        clickhouse.url, params={"query": f"INSERT INTO {scratch_table} VALUES (1, 'x')"}
    )
    assert response.status_code == 500
    assert response.text.startswith("Code: 164. DB::Exception:")


def test_database_parameter(http, clickhouse):
    response = http.post(
        clickhouse.url,
        params={"query": "SELECT currentDatabase()", "database": clickhouse.event_sink_database},
    )
    assert response.text == f"{clickhouse.event_sink_database}\n"


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " "])
def test_database_parameter_with_a_trailing_newline_is_an_unknown_database(
    http, clickhouse, suffix
):
    database = clickhouse.event_sink_database + suffix
    response = http.post(
        clickhouse.url, params={"query": "SELECT currentDatabase()", "database": database}
    )
    assert response.status_code == 404
    assert response.headers["X-ClickHouse-Exception-Code"] == "81"


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_bound_parameters_carry_hostile_values_as_data(clickhouse, scratch_table, value):
    client = clickhouse.client()
    client.command(
        f"INSERT INTO {scratch_table} (id, s) VALUES ({{id:Int64}}, {{s:String}})",
        parameters={"id": 7, "s": value},
    )
    stored = client.query(
        f"SELECT s FROM {scratch_table} WHERE s = {{s:String}}", parameters={"s": value}
    ).result_rows
    assert stored == [(value,)]
    assert client.command(f"EXISTS TABLE {scratch_table}") == 1
    tables = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = 'user_profile'",
        parameters={"db": clickhouse.event_sink_database},
    ).result_rows
    assert tables == [(1,)]


def test_raw_http_param_binding(http, clickhouse):
    value = "'; DROP TABLE x; -- \\ \n 🎉"
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n")  # the HTTP escaped text form
    response = http.post(
        clickhouse.url,
        params={
            "query": "SELECT {v:String} = {raw:String}",
            "param_v": escaped,
            "param_raw": escaped,
        },
    )
    assert response.text == "1\n"
    response = http.post(
        clickhouse.url, params={"query": "SELECT length({v:String})", "param_v": escaped}
    )
    assert response.text == f"{len(value.encode())}\n"


@pytest.mark.parametrize(
    ("fmt", "payload"),
    [
        ("CSV", b'1,"a, ""quoted"" \\ line\nbreak"\n2,plain\n'),
        ("TabSeparated", b'1,a, "quoted" \\\\ line\\nbreak\n2\tplain\n'.replace(b",a", b"\ta", 1)),
        (
            "JSONEachRow",
            b'{"id":1,"s":"a, \\"quoted\\" \\\\ line\\nbreak"}\n{"id":2,"s":"plain"}\n',
        ),
    ],
)
def test_insert_formats_with_data_in_body(http, clickhouse, scratch_table, fmt, payload):
    response = http.post(
        clickhouse.url,
        params={"query": f"INSERT INTO {scratch_table} (id, s) FORMAT {fmt}"},
        data=payload,
    )
    assert response.status_code == 200, response.text
    summary = json.loads(response.headers["X-ClickHouse-Summary"])
    assert summary["written_rows"] == "2"
    rows = clickhouse.client().query(f"SELECT id, s FROM {scratch_table} ORDER BY id").result_rows
    assert rows == [(1, 'a, "quoted" \\ line\nbreak'), (2, "plain")]


def test_insert_with_query_and_data_in_body(http, clickhouse, scratch_table):
    body = f"INSERT INTO {scratch_table} (id, s) FORMAT CSV\n3,three\n4,four\n".encode()
    response = http.post(clickhouse.url, data=body)
    assert response.status_code == 200, response.text
    assert clickhouse.client().command(f"SELECT count() FROM {scratch_table}") == 2


def test_chunked_insert_body(http, clickhouse, scratch_table):
    def body():
        for i in range(100):
            yield f"{i},row {i}\n".encode()

    response = http.post(
        clickhouse.url,
        params={"query": f"INSERT INTO {scratch_table} (id, s) FORMAT CSV"},
        data=body(),
    )
    assert response.status_code == 200, response.text
    assert clickhouse.client().command(f"SELECT count() FROM {scratch_table}") == 100


def test_bad_row_fails_the_whole_insert(http, clickhouse, scratch_table):
    response = http.post(
        clickhouse.url,
        params={"query": f"INSERT INTO {scratch_table} (id, s) FORMAT CSV"},
        data=b"1,ok\nnot_a_number,bad\n",
    )
    assert response.status_code in (400, 500)
    assert response.text.startswith("Code: ")
    assert clickhouse.client().command(f"SELECT count() FROM {scratch_table}") == 0


def test_clickhouse_connect_insert_and_query(clickhouse, scratch_table):
    client = clickhouse.client()
    rows = [[i, f"value {i} ' \" \\ \n"] for i in range(1000)]
    summary = client.insert(scratch_table, rows, column_names=["id", "s"])
    assert summary.written_rows == 1000
    result = client.query(f"SELECT id, s FROM {scratch_table} ORDER BY id")
    assert [list(r) for r in result.result_rows] == rows
    client.raw_insert(scratch_table, ["id", "s"], insert_block=b"5000,raw\n", fmt="CSV")
    assert client.command(f"SELECT count() FROM {scratch_table}") == 1001


def test_unknown_setting_is_refused_and_harmless_ones_are_ignored(http, clickhouse):
    response = http.post(
        clickhouse.url,
        params={
            "query": "SELECT 1",
            "session_id": "abc",
            "wait_end_of_query": "1",
            "enable_http_compression": "1",
            "max_threads": "1",
        },
    )
    assert response.status_code == 200, response.text
    response = http.post(clickhouse.url, params={"query": "SELECT 1", "no_such_setting_xyz": "1"})
    assert response.status_code == 404
    assert response.headers["X-ClickHouse-Exception-Code"] == "115"


@pytest.fixture
def relay(clickhouse):
    """A relay in front of the ClickHouse under test that keeps what each request sent."""
    relay = Relay(clickhouse.url)
    yield relay
    relay.close()


def insert_requests(relay: Relay, table: str) -> list[WireRequest]:
    """The requests that inserted into ``table`` (the INSERT in the URL or the body)."""
    return [
        r
        for r in relay.requests()
        if any(
            text.lstrip().startswith(f"INSERT INTO {table}")
            for text in (
                unquote_plus(r.line.split("query=", 1)[-1]),
                sent_body(r).decode("latin-1"),
            )
        )
    ]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "lz4", "zstd"])
def test_compressed_insert_bodies(http, clickhouse, relay, scratch_table, encoding):
    payload = b"".join(f"{i},compressed {i}\n".encode() for i in range(500))
    if encoding == "lz4":  # two frames back to back, as a streaming client sends them
        body = lz4.frame.compress(payload[:4000]) + lz4.frame.compress(payload[4000:])
    else:
        compress = {"gzip": gzip.compress, "deflate": zlib.compress, "zstd": zstd.compress}
        body = compress[encoding](payload)
    response = http.post(
        relay.url,
        params={"query": f"INSERT INTO {scratch_table} (id, s) FORMAT CSV"},
        data=body,
        headers={"Content-Encoding": encoding},
    )
    assert response.status_code == 200, response.text
    [sent] = insert_requests(relay, scratch_table)
    assert sent.headers["content-encoding"] == encoding
    assert sent.body == body and len(body) < len(payload) / 2
    rows = clickhouse.client().query(f"SELECT id, s FROM {scratch_table} ORDER BY id")
    assert rows.result_rows == [(i, f"compressed {i}") for i in range(500)]


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_clickhouse_connect_compression_choices(clickhouse, relay, scratch_table, compress):
    rows = [[i, f"value number {i % 7}"] for i in range(2000)]
    client = dataclasses.replace(clickhouse, url=relay.url).client(compress=compress)
    client.insert(scratch_table, rows, column_names=["id", "s"])
    [sent] = insert_requests(relay, scratch_table)
    plain = b"value number 3"
    data = sent_body(sent)
    assert data.count(plain) == sum(1 for r in rows if r[1] == plain.decode())
    if compress:
        assert sent.headers["content-encoding"] == compress
        assert len(sent.body) < len(data) / 2
    else:
        assert "content-encoding" not in sent.headers
    stored = client.query(f"SELECT id, s FROM {scratch_table} ORDER BY id").result_rows
    assert [list(r) for r in stored] == rows


def test_url_settings_apply_to_one_request_only(http, clickhouse, scratch_table):
    query = f"INSERT INTO {scratch_table} (id, s) FORMAT CSV"
    semicolons = b"1;semicolon separated\n"
    relaxed = http.post(
        clickhouse.url, params={"query": query, "format_csv_delimiter": ";"}, data=semicolons
    )
    assert relaxed.status_code == 200, relaxed.text
    again = http.post(clickhouse.url, params={"query": query}, data=semicolons)
    assert again.status_code != 200  # the setting did not outlive its request
    rows = clickhouse.client().query(f"SELECT id, s FROM {scratch_table}").result_rows
    assert rows == [(1, "semicolon separated")]


def test_concurrent_clients(clickhouse, scratch_table):
    client = clickhouse.client()

    def work(worker: int) -> int:
        rows = [[worker * 1000 + i, f"w{worker}"] for i in range(200)]
        client.insert(scratch_table, rows, column_names=["id", "s"])
        return client.command(
            f"SELECT count() FROM {scratch_table} WHERE s = {{s:String}}",
            parameters={"s": f"w{worker}"},
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(work, range(16)))
    assert counts == [200] * 16
    assert client.command(f"SELECT count() FROM {scratch_table}") == 3200


def test_a_view_created_between_two_inserts_receives_the_second(clickhouse, scratch_table):
    """Each insert runs the views the table has at that moment (the embedded engine remembers
    whether a table is viewed: any schema change must be seen by the next insert)."""
    client = clickhouse.client()
    client.insert(scratch_table, [[1, "before the view"]], column_names=["id", "s"])
    copy = scratch_table[:-1] + "_copy`"
    view = scratch_table[:-1] + "_mv`"
    client.command(f"CREATE TABLE {copy} (id Int64, s String) ENGINE = MergeTree ORDER BY id")
    client.command(
        f"CREATE MATERIALIZED VIEW {view} TO {copy} AS SELECT id, s FROM {scratch_table}"
    )
    try:
        client.insert(scratch_table, [[2, "after the view"]], column_names=["id", "s"])
        assert client.query(f"SELECT id, s FROM {copy}").result_rows == [(2, "after the view")]
        client.command(f"DROP VIEW {view}")
        client.insert(scratch_table, [[3, "view dropped"]], column_names=["id", "s"])
        assert client.query(f"SELECT count() FROM {copy}").result_rows == [(1,)]
        assert client.query(f"SELECT count() FROM {scratch_table}").result_rows == [(3,)]
    finally:
        client.command(f"DROP VIEW IF EXISTS {view}")
        client.command(f"DROP TABLE IF EXISTS {copy}")
