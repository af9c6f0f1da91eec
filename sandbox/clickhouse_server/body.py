"""Request bodies as a stream of chunks: Content-Length or chunked, optionally compressed."""

import zlib
from collections.abc import Iterator

from .errors import UNKNOWN_ERROR, ClickHouseError

BLOCK = 1 << 20


def raw_chunks(rfile, headers) -> Iterator[bytes]:
    """The body bytes as sent (after HTTP framing), in blocks of up to 1 MiB."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        while True:
            size_line = rfile.readline(1024)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield from _exactly(rfile, size)
            rfile.readline(8)
    yield from _exactly(rfile, int(headers.get("Content-Length") or 0))


def _exactly(rfile, size: int) -> Iterator[bytes]:
    """``size`` bytes from ``rfile`` in blocks of up to 1 MiB; an error if it ends early."""
    remaining = size
    while remaining:
        block = rfile.read(min(remaining, BLOCK))
        if not block:
            raise ClickHouseError(UNKNOWN_ERROR, "request body ended early")
        remaining -= len(block)
        yield block


def _decompressor(encoding: str):
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.LZ4FrameDecompressor()
    if encoding == "zstd":
        try:
            from compression import zstd
        except ImportError:
            from backports import zstd
        return zstd.ZstdDecompressor()
    if encoding == "br":
        import brotli

        return brotli.Decompressor()
    raise ClickHouseError(
        415, f"Unsupported Content-Encoding {encoding!r}: use gzip, deflate, lz4, zstd or br"
    )


def decoded_chunks(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """Undo ``Content-Encoding`` (several concatenated frames allowed)."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        yield from chunks
        return
    decompressor = _decompressor(encoding)
    for chunk in chunks:
        pending = chunk
        while pending:
            if hasattr(decompressor, "process"):  # brotli
                yield decompressor.process(pending)
                break
            yield decompressor.decompress(pending)
            if getattr(decompressor, "eof", False):
                pending = decompressor.unused_data
                decompressor = _decompressor(encoding)
            else:
                break
