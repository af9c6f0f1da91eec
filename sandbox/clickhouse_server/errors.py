"""ClickHouse error codes and the HTTP status a real server answers them with.

Statuses transcribed from ClickHouse's ``src/Server/HTTP/exceptionCodeToHTTPStatus.cpp``.
"""

import re

AUTHENTICATION_FAILED = 516
REQUIRED_PASSWORD = 194
NOT_IMPLEMENTED = 48
HTTP_LENGTH_REQUIRED = 381
QUERY_IS_TOO_LARGE = 229
BAD_REQUEST_PARAMETER = 457
UNKNOWN_ERROR = 1002

# Code numbers from ClickHouse 26.9's errorCodeToName(); grouped as the C++ mapping groups names.
_FORBIDDEN = (497, 192, 193, 516, 512)  # ACCESS_DENIED, UNKNOWN_USER, WRONG_PASSWORD, ...
_BAD_REQUEST = (36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167)
_BAD_REQUEST += (168, 223, 62, 117, 53, 321)  # TOO_BIG_AST ... VALUE_IS_OUT_OF_RANGE
_BAD_REQUEST += (BAD_REQUEST_PARAMETER,)  # malformed HTTP framing (chunk header)
_NOT_FOUND = (60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511)  # UNKNOWN_TABLE ... ROLE
_STATUS_BY_CODE = {
    REQUIRED_PASSWORD: 401,
    **dict.fromkeys(_FORBIDDEN, 403),
    **dict.fromkeys(_BAD_REQUEST, 400),
    **dict.fromkeys(_NOT_FOUND, 404),
    QUERY_IS_TOO_LARGE: 413,
    NOT_IMPLEMENTED: 501,
    **dict.fromkeys((209, 76, 439), 503),  # SOCKET_TIMEOUT, CANNOT_OPEN_FILE, CANNOT_SCHEDULE_TASK
    HTTP_LENGTH_REQUIRED: 411,
    159: 408,  # TIMEOUT_EXCEEDED
    779: 415,  # UNSUPPORTED_MEDIA_TYPE
}

_CODE_IN_MESSAGE = re.compile(r"Code: (\d+)\.")


class ClickHouseError(Exception):
    """An error to answer as ClickHouse does: ``Code: N. DB::Exception: ...``."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def from_engine(cls, error: BaseException) -> "ClickHouseError":
        """Wrap a chdb error, whose text already reads ``Code: N. DB::Exception: ...``."""
        text = str(error)
        for prefix in ("Streaming insert finish failed: ", "Streaming insert append failed: "):
            text = text.removeprefix(prefix)
        match = _CODE_IN_MESSAGE.search(text)
        code = int(match.group(1)) if match else UNKNOWN_ERROR
        if match and match.start() == 0:
            return cls(code, text)
        return cls(code, f"Code: {code}. DB::Exception: {text}")

    @property
    def http_status(self) -> int:
        return http_status(self.code)

    def body(self) -> bytes:
        text = self.message
        if not text.startswith("Code: "):
            text = f"Code: {self.code}. DB::Exception: {text}"
        return (text.rstrip("\n") + "\n").encode("utf-8")


def http_status(code: int) -> int:
    """The HTTP status ClickHouse uses for error ``code`` (500 when not listed)."""
    return _STATUS_BY_CODE.get(code, 500)
