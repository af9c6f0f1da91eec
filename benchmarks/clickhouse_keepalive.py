"""Per-request latency of the embedded ClickHouse over one keep-alive session, Nagle on vs off.

The server answers with two writes (headers, then body). With Nagle's algorithm on, the body
waits for the ACK of the headers, which the client delays (~40 ms on Linux): every keep-alive
request stalls. The server sets TCP_NODELAY; "Nagle on" is the server as it was before.

    python -m benchmarks.clickhouse_keepalive [--requests 200]
"""

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from sandbox.clickhouse_server.auth import Users, write_users_file
from sandbox.clickhouse_server.engine import Engine
from sandbox.clickhouse_server.server import ClickHouseHandler, ClickHouseHTTPServer

USER, PASSWORD = "bench", "bench-password"


class NagleHandler(ClickHouseHandler):
    """The handler as it was: Nagle's algorithm left on."""

    disable_nagle_algorithm = False


def latencies(url: str, count: int) -> dict[str, list[float]]:
    """Milliseconds per request: GET /ping and POST SELECT 1, over one keep-alive session."""
    session = requests.Session()
    session.auth = (USER, PASSWORD)
    calls = {
        "GET /ping": lambda: session.get(f"{url}/ping"),
        "POST SELECT 1": lambda: session.post(url, data=b"SELECT 1"),
    }
    results: dict[str, list[float]] = {name: [] for name in calls}
    for name, call in calls.items():
        call().raise_for_status()  # connect and warm up
        for _ in range(count):
            started = time.perf_counter()
            call().raise_for_status()
            results[name].append((time.perf_counter() - started) * 1000)
    session.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clickhouse_keepalive")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        write_users_file(Path(home) / "users.json", {USER: PASSWORD})
        users = Users.load(Path(home) / "users.json")
        server = ClickHouseHTTPServer(("127.0.0.1", 0), Engine(str(Path(home) / "data")), users)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for label, handler in (("Nagle on (before)", NagleHandler), ("TCP_NODELAY", None)):
                server.RequestHandlerClass = handler or ClickHouseHandler
                for name, values in latencies(url, args.requests).items():
                    p90 = statistics.quantiles(values, n=10)[-1]
                    print(
                        f"{label:>18}, {name:<14}: median {statistics.median(values):6.2f} ms, "
                        f"p90 {p90:6.2f} ms per request ({args.requests} requests, keep-alive)"
                    )
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
            server.engine.close()


if __name__ == "__main__":
    main()
