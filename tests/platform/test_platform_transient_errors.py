"""Which ClickHouse failures the sinks retry: by error code, HTTP status or message wording.

Errors with a given code are raised by the engine itself (``throwIf`` with a custom code) over
HTTP, so the code reaches ``is_transient`` exactly as clickhouse-connect reports it.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aspects_platform import backend
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from sandbox.clickhouse_server.process import HOST, free_port
from tests.clickhouse.relay import Relay

#: Every code the sinks retry, written from ClickHouse's error code names (ErrorCodes.cpp), kept
#: apart from backend.TRANSIENT_ERROR_CODES so that a code dropped there fails a case here.
TRANSIENT = {
    3: "UNEXPECTED_END_OF_FILE",
    159: "TIMEOUT_EXCEEDED",
    160: "TOO_SLOW",
    164: "READONLY",
    198: "DNS_ERROR",
    202: "TOO_MANY_SIMULTANEOUS_QUERIES",
    203: "NO_FREE_CONNECTION",
    209: "SOCKET_TIMEOUT",
    210: "NETWORK_ERROR",
    225: "NO_ZOOKEEPER",
    236: "ABORTED",
    241: "MEMORY_LIMIT_EXCEEDED",
    242: "TABLE_IS_READ_ONLY",
    252: "TOO_MANY_PARTS",
    279: "ALL_CONNECTION_TRIES_FAILED",
    285: "TOO_FEW_LIVE_REPLICAS",
    286: "UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE",
    319: "UNKNOWN_STATUS_OF_INSERT",
    394: "QUERY_WAS_CANCELLED",
    415: "ALL_REPLICAS_LOST",
    425: "SYSTEM_ERROR",
    439: "CANNOT_SCHEDULE_TASK",
    999: "KEEPER_EXCEPTION",
    1000: "POCO_EXCEPTION",
}
DATA_ERRORS = {
    27: "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
    53: "TYPE_MISMATCH",
    60: "UNKNOWN_TABLE",
    62: "SYNTAX_ERROR",
    497: "ACCESS_DENIED",
    516: "AUTHENTICATION_FAILED",
}


def engine_error(ch, code: int) -> DatabaseError:
    """The DatabaseError clickhouse-connect raises when the engine fails with ``code``."""
    with pytest.raises(DatabaseError) as raised:
        ch.command(
            "SELECT throwIf(1, 'aspects test error', {code:Int32})",
            parameters={"code": code},
            settings={"allow_custom_error_code_in_throwif": 1},
        )
    return raised.value


def test_the_retried_codes_are_exactly_the_expected_ones():
    assert backend.TRANSIENT_ERROR_CODES == set(TRANSIENT)


@pytest.mark.parametrize("code", sorted(TRANSIENT), ids=TRANSIENT.get)
def test_engine_errors_meaning_try_again_are_transient(ch, code):
    error = engine_error(ch, code)
    assert (backend.error_code(error), error.name) == (code, TRANSIENT[code])
    assert backend.is_transient(error)


@pytest.mark.parametrize("code", sorted(DATA_ERRORS), ids=DATA_ERRORS.get)
def test_engine_data_and_access_errors_are_not_transient(ch, code):
    error = engine_error(ch, code)
    assert (backend.error_code(error), error.name) == (code, DATA_ERRORS[code])
    assert not backend.is_transient(error)


# Messages as clickhouse-connect words them when Error.code is absent (0.8.x, early 1.x) or the
# server sent no exception code header; the error objects carry no ``code`` attribute value.
@pytest.mark.parametrize(
    ("message", "transient"),
    [
        # 0.8.x
        ("HTTPDriver for http://ch:8123 received ClickHouse error code 252\n Code: 252.", True),
        ("HTTPDriver for http://ch:8123 received ClickHouse error code 319", True),
        ("HTTPDriver for http://ch:8123 received ClickHouse error code 62\n Code: 62.", False),
        ("HTTPDriver for http://ch:8123 returned response code 502", True),
        ("HTTPDriver for http://ch:8123 returned response code 503)", True),
        ("HTTPDriver for http://ch:8123 returned response code 404", False),
        # 1.x before Error.code
        ("Received ClickHouse exception, code: 286, server response: ...", True),
        ("Received ClickHouse exception, code: 60, server response: ...", False),
        ("HTTP driver received HTTP status 502 (for url http://ch:8123)", True),
        ("HTTP driver received HTTP status 400 (for url http://ch:8123)", False),
        # the server's own text
        ("Code: 394. DB::Exception: Query was cancelled. (QUERY_WAS_CANCELLED)", True),
        (
            "Code: 27. DB::Exception: Cannot parse input (CANNOT_PARSE_INPUT_ASSERTION_FAILED)",
            False,
        ),
        ("Code: 516. DB::Exception: x: Authentication failed (AUTHENTICATION_FAILED)", False),
    ],
)
def test_codes_and_statuses_are_read_from_the_message_of_older_drivers(message, transient):
    error = DatabaseError(message)
    error.code = None  # as if the release had no Error.code
    assert backend.is_transient(error) is transient
    assert backend.is_transient(OperationalError(message)) is transient


def test_error_code_attribute_wins_over_the_message():
    error = DatabaseError("HTTP driver received HTTP status 500", code=62)
    assert backend.error_code(error) == 62
    assert not backend.is_transient(error)


@pytest.fixture
def answering_status():
    """A loopback HTTP server (a proxy in front of ClickHouse) answering every request with
    the status it is given, without a ClickHouse exception code; yields a URL factory."""
    servers = []

    def start(status: int) -> str:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b"upstream unavailable\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (499, False), (404, False)]
)
def test_an_http_status_without_a_clickhouse_code(
    backend_config, answering_status, status, transient
):
    config = {**backend_config, "url": answering_status(status)}
    with pytest.raises(DatabaseError) as raised:
        backend.get_client(config)
    assert backend.error_code(raised.value) is None
    assert f"HTTP status {status}" in str(raised.value)
    assert backend.is_transient(raised.value) is transient


def test_a_client_side_error_without_code_or_status_is_not_transient(ch):
    """clickhouse-connect refuses an insert into a column the table lacks (schema drift)."""
    with pytest.raises(DatabaseError) as raised:
        ch.insert("user_profile", [[1, 2]], column_names=["user_id", "no_such_column"])
    assert not isinstance(raised.value, OperationalError)
    assert backend.error_code(raised.value) is None
    assert not backend.is_transient(raised.value)


def test_a_refused_connection_is_transient():
    """A socket-level failure (no answer at all) is worth retrying."""
    port = free_port()  # nothing listens there
    with pytest.raises(ConnectionRefusedError) as raised:
        socket.create_connection((HOST, port), timeout=5)
    assert backend.is_transient(raised.value)


def test_the_configured_timeout_applies(backend_config):
    """ClickHouse answers 3 s late: a 1 s ``timeout_secs`` gives up (the default 5 s would not)."""
    relay = Relay(backend_config["url"])
    relay.hold()
    late = threading.Timer(3.0, relay.release)
    late.start()
    try:
        with pytest.raises(OperationalError) as raised:
            backend.get_client({**backend_config, "url": relay.url, "timeout_secs": 1})
    finally:
        late.cancel()
        relay.release()
        relay.close()
    assert backend.is_transient(raised.value)
