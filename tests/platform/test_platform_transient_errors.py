"""Which ClickHouse failures the sinks retry: by error code, HTTP status or message wording.

Errors with a given code are raised by the engine itself (``throwIf`` with a custom code) over
HTTP, so the code reaches ``is_transient`` exactly as clickhouse-connect reports it.
"""

import pytest
from aspects_platform import backend
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

TRANSIENT = {
    3: "UNEXPECTED_END_OF_FILE",
    209: "SOCKET_TIMEOUT",
    210: "NETWORK_ERROR",
    225: "NO_ZOOKEEPER",
    236: "ABORTED",
    252: "TOO_MANY_PARTS",
    279: "ALL_CONNECTION_TRIES_FAILED",
    285: "TOO_FEW_LIVE_REPLICAS",
    286: "UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE",
    319: "UNKNOWN_STATUS_OF_INSERT",
    394: "QUERY_WAS_CANCELLED",
    439: "CANNOT_SCHEDULE_TASK",
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


def test_every_listed_code_has_the_name_in_its_comment(ch):
    names = dict(
        ch.query(
            "SELECT c, errorCodeToName(c) FROM (SELECT arrayJoin({codes:Array(Int32)}) AS c)",
            parameters={"codes": sorted(backend.TRANSIENT_ERROR_CODES | set(DATA_ERRORS))},
        ).result_rows
    )
    assert {code: names[code] for code in TRANSIENT} == TRANSIENT
    assert {code: names[code] for code in DATA_ERRORS} == DATA_ERRORS
    assert set(TRANSIENT) <= backend.TRANSIENT_ERROR_CODES


@pytest.mark.parametrize("code", sorted(TRANSIENT), ids=TRANSIENT.get)
def test_engine_errors_meaning_try_again_are_transient(ch, code):
    error = engine_error(ch, code)
    assert backend.error_code(error) == code
    assert backend.is_transient(error)


@pytest.mark.parametrize("code", sorted(DATA_ERRORS), ids=DATA_ERRORS.get)
def test_engine_data_and_access_errors_are_not_transient(ch, code):
    error = engine_error(ch, code)
    assert backend.error_code(error) == code
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
