"""A TCP relay in front of ClickHouse that keeps the bytes every request put on the wire.

Tests point a client at ``relay.url`` and read ``relay.requests()`` afterwards: the request
line, headers and body exactly as ClickHouse received them (HTTP framing undone, any
``Content-Encoding`` left as sent). ``hold()`` stops forwarding requests (connections stay
open, bytes wait in the relay) until ``release()``: a ClickHouse that stalls on demand.
"""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import lz4.frame

try:
    from compression import zstd
except ImportError:  # Python < 3.14
    from backports import zstd

HOST = "127.0.0.1"
#: Content-Encoding -> how ClickHouse undoes it.
DECOMPRESS = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "lz4": lz4.frame.decompress,
    "zstd": zstd.decompress,
}


@dataclass
class WireRequest:
    """One HTTP request as sent: ``line`` (``POST /?query=... HTTP/1.1``), headers, body."""

    line: str
    headers: dict[str, str]
    body: bytes


class Relay:
    """Listens on ``port`` (0: any free port) and forwards every connection to ``upstream``."""

    def __init__(self, upstream: str, port: int = 0) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname, parts.port or 8123)
        self._listener = socket.create_server((HOST, port))
        self.port = self._listener.getsockname()[1]
        self._sent: list[bytearray] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        #: Set while requests flow; cleared by ``hold``.
        self.flowing = threading.Event()
        self.flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            sent = bytearray()
            with self._lock:
                self._sent.append(sent)
                self._sockets += [client, server]
            threading.Thread(
                target=_pipe, args=(client, server, sent, self.flowing), daemon=True
            ).start()
            threading.Thread(target=_pipe, args=(server, client, None), daemon=True).start()

    def hold(self) -> None:
        """Stop forwarding client bytes to ClickHouse (a request in flight stalls)."""
        self.flowing.clear()

    def release(self) -> None:
        """Forward again, starting with what was held."""
        self.flowing.set()

    def requests(self) -> list[WireRequest]:
        """Every complete request received so far, connection by connection."""
        with self._lock:
            streams = [bytes(sent) for sent in self._sent]
        return [request for stream in streams for request in parse_requests(stream)]

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            sock.close()


def _pipe(
    source: socket.socket,
    target: socket.socket,
    record: bytearray | None,
    flowing: threading.Event | None = None,
) -> None:
    try:
        while data := source.recv(1 << 16):
            if record is not None:
                record.extend(data)
            if flowing is not None:
                flowing.wait()
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def parse_requests(stream: bytes) -> list[WireRequest]:
    """Split a connection's client-to-server bytes into requests (Content-Length or chunked)."""
    requests, pos = [], 0
    while (end := stream.find(b"\r\n\r\n", pos)) >= 0:
        line, *fields = stream[pos:end].decode("latin-1").split("\r\n")
        headers = {}
        for field in fields:
            name, _, value = field.partition(":")
            headers[name.strip().lower()] = value.strip()
        pos = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while (size_end := stream.find(b"\r\n", pos)) >= 0:
                size = int(stream[pos:size_end].split(b";")[0], 16)
                pos = size_end + 2
                if size == 0:
                    pos += 2  # the empty trailer line
                    break
                body += stream[pos : pos + size]
                pos += size + 2
        else:
            length = int(headers.get("content-length") or 0)
            body = stream[pos : pos + length]
            pos += length
        requests.append(WireRequest(line, headers, bytes(body)))
    return requests


def sent_body(request: WireRequest) -> bytes:
    """The body of a request as ClickHouse decodes it (``Content-Encoding`` undone)."""
    encoding = request.headers.get("content-encoding")
    return DECOMPRESS[encoding](request.body) if encoding else request.body
