"""Request bodies as a stream of chunks: Content-Length or chunked, optionally compressed.

Framing is checked (a negative or non-numeric Content-Length or chunk size is a 400), and
decompression is bounded: every step yields at most ``BLOCK`` bytes whatever the compression
ratio, and a body that decompresses to more than the caller's limit is an error. A compression
bomb therefore costs one block of memory and ends in an error, never in an out-of-memory kill.
"""

import re
import zlib
from collections.abc import Iterator

from .errors import BAD_REQUEST_PARAMETER, QUERY_IS_TOO_LARGE, UNKNOWN_ERROR, ClickHouseError

BLOCK = 1 << 20
#: Upper bound of a decompressed body streamed into an INSERT (the engine parses as it goes).
MAX_DECODED_BYTES = 16 << 30
_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")


def content_length(headers) -> int:
    """The Content-Length header as bytes to read; a 400 unless it is a whole number >= 0."""
    text = (headers.get("Content-Length") or "0").strip()
    if not _DIGITS.fullmatch(text.encode("latin-1", "replace")):
        raise ClickHouseError(
            BAD_REQUEST_PARAMETER,
            f"Invalid Content-Length {text!r}: it must be a whole number of bytes, 0 or more",
        )
    return int(text)


def _chunk_size(size_line: bytes) -> int:
    """The size of the next chunk (hexadecimal, extensions after ';' ignored)."""
    text = size_line.split(b";")[0].strip()
    if not _HEX.fullmatch(text):
        shown = text[:32].decode("latin-1")
        raise ClickHouseError(
            BAD_REQUEST_PARAMETER,
            f"Unexpected data instead of HTTP chunk header: {shown!r} "
            "(a chunk size is a hexadecimal number, 0 or more)",
        )
    return int(text, 16)


def raw_chunks(rfile, headers) -> Iterator[bytes]:
    """The body bytes as sent (after HTTP framing), in blocks of up to 1 MiB."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        while True:
            size = _chunk_size(rfile.readline(1024))
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield from _exactly(rfile, size)
            rfile.readline(8)
    yield from _exactly(rfile, content_length(headers))


def _exactly(rfile, size: int) -> Iterator[bytes]:
    """``size`` bytes from ``rfile`` in blocks of up to 1 MiB; an error if it ends early."""
    remaining = size
    while remaining > 0:
        block = rfile.read(min(remaining, BLOCK))
        if not block:
            raise ClickHouseError(UNKNOWN_ERROR, "request body ended early")
        remaining -= len(block)
        yield block


class _StreamDecoder:
    """zstd and lz4 frames (``decompress(data, max_length)``, ``needs_input``, ``eof``)."""

    def __init__(self, factory):
        self._factory = factory
        self._decompressor = factory()

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._decompressor.decompress(data, BLOCK)
            data = b""
            if out:
                yield out
            if self._decompressor.eof:  # concatenated frames: start a new one
                data = self._decompressor.unused_data
                self._decompressor = self._factory()
                if not data:
                    return
            elif self._decompressor.needs_input:
                return


class _ZlibDecoder:
    """gzip and deflate (``decompress(data, max_length)``, the rest in ``unconsumed_tail``)."""

    def __init__(self, wbits: int):
        self._wbits = wbits
        self._decompressor = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._decompressor.decompress(data, BLOCK)
            if out:
                yield out
            if self._decompressor.eof:  # concatenated gzip members
                data = self._decompressor.unused_data
                self._decompressor = zlib.decompressobj(self._wbits)
                if not data:
                    return
                continue
            data = self._decompressor.unconsumed_tail
            if not data and len(out) < BLOCK:
                return


class _BrotliDecoder:
    """br, with brotli's ``output_buffer_limit`` (brotli 1.2 or later)."""

    def __init__(self):
        import brotli

        self._decompressor = brotli.Decompressor()
        if not hasattr(self._decompressor, "can_accept_more_data"):
            raise ClickHouseError(
                415, "Content-Encoding 'br' needs the brotli package 1.2 or later on the server"
            )

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._decompressor.process(data, output_buffer_limit=BLOCK)
        while True:
            if out:
                yield out
            if self._decompressor.can_accept_more_data():
                return
            out = self._decompressor.process(b"", output_buffer_limit=BLOCK)


def _decoder(encoding: str):
    if encoding in ("gzip", "x-gzip"):
        return _ZlibDecoder(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _ZlibDecoder(zlib.MAX_WBITS)
    if encoding == "lz4":
        import lz4.frame

        return _StreamDecoder(lz4.frame.LZ4FrameDecompressor)
    if encoding == "zstd":
        try:
            from compression import zstd
        except ImportError:
            from backports import zstd
        return _StreamDecoder(zstd.ZstdDecompressor)
    if encoding == "br":
        return _BrotliDecoder()
    raise ClickHouseError(
        415, f"Unsupported Content-Encoding {encoding!r}: use gzip, deflate, lz4, zstd or br"
    )


def decoded_chunks(
    chunks: Iterator[bytes], encoding: str, limit: int = MAX_DECODED_BYTES
) -> Iterator[bytes]:
    """Undo ``Content-Encoding`` (several concatenated frames allowed), at most ``limit`` bytes.

    Each yielded block is at most ``BLOCK`` bytes; past ``limit`` decompressed bytes the body
    is refused (413, QUERY_IS_TOO_LARGE).
    """
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        yield from chunks
        return
    decoder = _decoder(encoding)
    total = 0
    for chunk in chunks:
        for block in decoder.feed(chunk):
            total += len(block)
            if total > limit:
                raise ClickHouseError(
                    QUERY_IS_TOO_LARGE,
                    f"The {encoding} request body decompresses to more than {limit:,} bytes "
                    "(a compression bomb?)",
                )
            yield block
