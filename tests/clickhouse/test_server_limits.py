"""The embedded server's transport limits: framing, decompression bombs, timeouts, Nagle.

Framing and bombs go to the shared embedded server (a real process); socket-level behaviour
(idle clients, TCP_NODELAY) to the same HTTP front run in this process without an engine
(nothing here reaches one), so its socket timeout can be short and its sockets inspected.
"""

import base64
import http.client
import socket
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from sandbox.clickhouse_server.auth import Users, hash_password
from sandbox.clickhouse_server.server import ClickHouseHTTPServer
from tests.clickhouse.test_sandbox_server import cli, sandbox_env  # noqa: F401 - a fixture


def raw_request(url: str, head: str, body: bytes = b"", timeout: float = 10.0) -> bytes:
    """Send ``head`` (request line + headers, CRLF-terminated) and ``body``; the raw answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"DB::Exception" in answer:
                break
        return answer


def auth(clickhouse) -> str:
    token = base64.b64encode(f"{clickhouse.username}:{clickhouse.password}".encode()).decode()
    return f"Authorization: Basic {token}\r\n"


@pytest.mark.parametrize(
    ("framing", "expected"),
    [
        ("Content-Length: -5\r\n", "Invalid Content-Length '-5'"),
        ("Content-Length: 12abc\r\n", "Invalid Content-Length '12abc'"),
        ("Transfer-Encoding: chunked\r\n", "Unexpected data instead of HTTP chunk header: b'-5'"),
    ],
)
def test_negative_or_malformed_body_sizes_are_refused(embedded_clickhouse, framing, expected):
    body = b"-5\r\nSELECT 1\r\n0\r\n\r\n" if "chunked" in framing else b"SELECT 1"
    head = f"POST / HTTP/1.1\r\nHost: x\r\n{auth(embedded_clickhouse)}{framing}"
    answer = raw_request(embedded_clickhouse.url, head, body).decode()
    assert answer.startswith("HTTP/1.1 400 "), answer
    assert "X-ClickHouse-Exception-Code: 457" in answer
    assert "Code: 457. DB::Exception: " in answer and expected.replace("b'", "'") in answer


def gzip_bomb(megabytes: int) -> bytes:
    """``megabytes`` MiB of zeros, gzipped (about 1 KiB per MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(compressor.compress(zeros) for _ in range(megabytes)) + compressor.flush()


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_a_compression_bomb_is_an_error_not_a_memory_blowup(embedded_clickhouse):
    import requests

    server = embedded_clickhouse.embedded
    pid = server.running_pid()
    before = peak_rss(pid)
    bomb = gzip_bomb(600)  # 600 MiB once decompressed, ~600 KiB on the wire
    response = requests.post(
        server.url,
        data=bomb,
        headers={"Content-Encoding": "gzip"},
        auth=(server.username, server.password),
        timeout=60,
    )
    assert response.status_code == 413, response.text
    assert response.headers["X-ClickHouse-Exception-Code"] == "229"
    assert "decompresses to more than 268,435,456 bytes" in response.text
    grown = peak_rss(pid) - before
    assert grown < 400 << 20, f"peak RSS grew by {grown >> 20} MiB for a 600 MiB bomb"
    ok = requests.get(f"{server.url}/ping", timeout=10)
    assert ok.text == "Ok.\n"


@pytest.fixture
def front():
    """The HTTP front (no engine) on a free port, with a 0.5 s socket timeout."""
    users = Users({"u": {"salt": "s", "sha256": hash_password("p", "s")}})
    server = ClickHouseHTTPServer(("127.0.0.1", 0), None, users)
    server.socket_timeout = 0.5
    accepted: list[socket.socket] = []
    get_request = server.get_request

    def record() -> tuple[socket.socket, tuple]:
        request = get_request()
        accepted.append(request[0])
        return request

    server.get_request = record
    server.accepted = accepted
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


STALLED_UPLOAD = (
    b"POST / HTTP/1.1\r\nAuthorization: Basic " + base64.b64encode(b"u:p")
    + b"\r\nContent-Length: 100\r\n\r\nSELE"
)  # fmt: skip


@pytest.mark.parametrize("sent", [b"", STALLED_UPLOAD], ids=["idle", "stalled-upload"])
def test_a_silent_client_is_disconnected(front, sent):
    """Connects and sends nothing (or stops mid-body): the server closes, it never waits forever."""
    with socket.create_connection(front.server_address, timeout=20) as sock:
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(65536):  # b"": the server closed the connection
            received += chunk
    assert received == b""


def test_keep_alive_answers_are_not_delayed_by_nagle(front):
    connection = http.client.HTTPConnection(*front.server_address, timeout=10)
    for _ in range(3):
        connection.request("GET", "/ping")
        assert connection.getresponse().read() == b"Ok.\n"
    [sock] = front.accepted
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    connection.close()


def test_down_never_signals_a_process_that_is_not_its_server(sandbox_env):  # noqa: F811
    """A stale pid file naming another process: reported and removed, that process untouched."""
    home = Path(sandbox_env["ASPECTS_SANDBOX_CLICKHOUSE_HOME"])
    home.mkdir(parents=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (home / "server.pid").write_text(f"{stranger.pid}\n")
        status = cli(sandbox_env, "status")
        down = cli(sandbox_env, "down")
        assert stranger.poll() is None, "down signalled a process that is not its server"
    finally:
        stranger.kill()
        stranger.wait()
    assert status.returncode == 3, status.stdout
    assert down.returncode == 0, down.stderr
    assert f"stale pid file {home / 'server.pid'} removed: pid {stranger.pid} is " in down.stdout
    assert "that process was left alone" in down.stdout
    assert "embedded ClickHouse is not running" in down.stdout
    assert not (home / "server.pid").exists()


def _frames(encoding: str, parts: list[bytes]) -> bytes:
    """``parts`` compressed one frame (or gzip member) each, concatenated."""
    import gzip

    import lz4.frame

    try:
        from compression import zstd
    except ImportError:
        from backports import zstd
    if encoding == "deflate":  # one stream only: deflate has no concatenation
        compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
        return compressor.compress(b"".join(parts)) + compressor.flush()
    compress = {"gzip": gzip.compress, "lz4": lz4.frame.compress, "zstd": zstd.compress}
    return b"".join(compress[encoding](part) for part in parts)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "lz4", "zstd"])
def test_every_codec_decodes_exactly_in_blocks_of_at_most_one_mib(encoding):
    from sandbox.clickhouse_server.body import BLOCK, decoded_chunks

    payload = b"".join(b"%d,%s\n" % (i, b"x" * (i % 50)) for i in range(150_000))
    payload += bytes(range(256)) * 4096  # 4 MiB in all, highly compressible
    body = _frames(encoding, [payload[: len(payload) // 2], payload[len(payload) // 2 :]])
    for size in (7, 65536, len(body)):  # how the body arrives on the socket
        chunks = (body[i : i + size] for i in range(0, len(body), size))
        blocks = list(decoded_chunks(chunks, encoding))
        assert b"".join(blocks) == payload
        assert max(map(len, blocks)) <= BLOCK
