"""The HTTP front: ClickHouse's HTTP interface over the chdb engine, on the stdlib server."""

import signal
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from aspects_platform.clickhouse.identifiers import IDENTIFIER_PATTERN

from .auth import Users, credentials
from .body import decoded_chunks, raw_chunks
from .engine import Engine, Summary
from .errors import QUERY_IS_TOO_LARGE, UNKNOWN_ERROR, ClickHouseError
from .protocol import content_type, is_read_only, output_format, parse_params, split_insert

SERVER_NAME = "aspects-embedded-clickhouse"
READONLY = 164
#: A body that is not streamed into an INSERT is held in memory: at most this much.
MAX_QUERY_BYTES = 256 << 20
#: Seconds a connection may stay silent (idle keep-alive, a stalled upload) before it is closed,
#: as ClickHouse's http_receive_timeout / keep_alive_timeout.
SOCKET_TIMEOUT = 30.0


class ClickHouseHTTPServer(ThreadingHTTPServer):
    """Holds the engine and the users for the request handlers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        engine: Engine | None,
        users: Users,
        socket_timeout: float = SOCKET_TIMEOUT,
    ):
        super().__init__(address, ClickHouseHandler)
        self.engine = engine
        self.users = users
        self.socket_timeout = socket_timeout


class ClickHouseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClickHouse"
    sys_version = ""
    server: ClickHouseHTTPServer
    # Headers and body are two writes: with Nagle's algorithm the body waits for the client's
    # delayed ACK (~40 ms per keep-alive request).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        """Apply the server's socket timeout to this connection (read and write)."""
        self.timeout = self.server.socket_timeout
        super().setup()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Never log URLs: they may carry ``password=`` or values."""

    def do_HEAD(self) -> None:
        self._health(send_body=False)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        if url.path in ("/ping", "/replicas_status") or (url.path == "/" and "query" not in query):
            self._health()
            return
        self._handle(method="GET")

    def do_POST(self) -> None:
        self._handle(method="POST")

    def _health(self, send_body: bool = True) -> None:
        path = urlsplit(self.path).path
        if path not in ("/", "/ping", "/replicas_status"):
            self._send(404, b"There is no handle " + path.encode() + b"\n", "text/plain")
            return
        self._send(200, b"Ok.\n", "text/plain; charset=UTF-8", send_body=send_body)

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        if url.path != "/":
            self.close_connection = True
            self._send(404, f"There is no handle {url.path}\n".encode(), "text/plain")
            return
        request = parse_params(parse_qsl(url.query, keep_blank_values=True))
        query_id = request.query_id or str(uuid.uuid4())
        body_consumed = method == "GET"
        try:
            user, password = credentials(self.headers, dict(parse_qsl(url.query)))
            self.server.users.authenticate(user, password)
            if not IDENTIFIER_PATTERN.fullmatch(request.database):
                raise ClickHouseError(81, f"Database {request.database} does not exist")
            raw = raw_chunks(self.rfile, self.headers)
            encoding = self.headers.get("Content-Encoding", "")
            head = split_insert(request.url_query.encode()) if method == "POST" else None
            if head and not head[2].strip():
                summary = self.server.engine.insert(
                    head[0], head[1], decoded_chunks(raw, encoding), request.database,
                    request.settings,
                )  # fmt: skip
                body_consumed = True
                self._send_ok(b"", request.default_format, summary, query_id)
                return
            body = _read_all(decoded_chunks(raw, encoding, MAX_QUERY_BYTES))
            body_consumed = True
            text = request.url_query.encode()
            if body:
                text = text + b"\n" + body if text else body
            self._run(method, request, text, query_id)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 - every failure is answered as ClickHouse does
            if not isinstance(error, ClickHouseError):
                error = ClickHouseError(UNKNOWN_ERROR, f"{type(error).__name__}: {error}")
            if not body_consumed:
                self.close_connection = True
            try:
                self._send_error(error, query_id)
            except (ConnectionError, TimeoutError):
                self.close_connection = True

    def _run(self, method: str, request, text: bytes, query_id: str) -> None:
        inline = split_insert(text)
        if inline:
            head, fmt, data = inline
            if method == "GET":
                raise _readonly_error()
            summary = self.server.engine.insert(
                head, fmt, [data], request.database, request.settings
            )
            self._send_ok(b"", request.default_format, summary, query_id)
            return
        query = text.decode("utf-8", errors="replace")
        if not query.strip():
            raise ClickHouseError(62, "Empty query")
        if method == "GET" and not is_read_only(query):
            raise _readonly_error()
        fmt = output_format(query, request.default_format)
        body, summary = self.server.engine.query(
            query, fmt, request.params, request.database, request.settings
        )
        self._send_ok(body, fmt, summary, query_id)

    def _send_ok(self, body: bytes, fmt: str, summary: Summary, query_id: str) -> None:
        headers = {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Format": fmt,
            "X-ClickHouse-Timezone": "UTC",
            "X-ClickHouse-Summary": summary.header(),
        }
        self._send(200, body, content_type(fmt), headers)

    def _send_error(self, error: ClickHouseError, query_id: str) -> None:
        headers = {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Exception-Code": str(error.code),
            "X-ClickHouse-Summary": Summary().header(),
        }
        self._send(error.http_status, error.body(), "text/plain; charset=UTF-8", headers)

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
        send_body: bool = True,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-ClickHouse-Server-Display-Name", SERVER_NAME)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def _read_all(chunks) -> bytes:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_QUERY_BYTES:
            raise ClickHouseError(
                QUERY_IS_TOO_LARGE,
                f"Query is too large (more than {MAX_QUERY_BYTES >> 20} MiB without INSERT "
                "... FORMAT in the URL, which streams)",
            )
        parts.append(chunk)
    return b"".join(parts)


def _readonly_error() -> ClickHouseError:
    return ClickHouseError(
        READONLY,
        "Cannot execute query in readonly mode. For queries over HTTP, method GET implies "
        "readonly. You should use method POST for modifying queries.",
    )


def serve(
    host: str,
    port: int,
    data_path: str,
    users: Users,
    ready=None,
    socket_timeout: float = SOCKET_TIMEOUT,
) -> None:
    """Serve until SIGTERM/SIGINT; then close the engine cleanly (data stays on disk)."""
    try:
        server = ClickHouseHTTPServer((host, port), None, users, socket_timeout)
    except OSError as error:
        raise SystemExit(
            f"error: cannot listen on {host}:{port}: {error.strerror} "
            "(choose another port, e.g. ASPECTS_SANDBOX_CLICKHOUSE_PORT)"
        ) from None
    engine = server.engine = Engine(data_path)
    stop = threading.Event()

    def shut_down(*_):
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    if ready:
        ready()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.close()
