"""A monitored load test inside one sandbox process, as ``tutor local do load-test`` runs it.

The monitor runs in a thread (its own database connection) while the generator emits events
in the caller's thread; returns the monitor's output (the report and the files' paths).
"""

from __future__ import annotations

import threading
from pathlib import Path


class _Lines:
    """A stdout for ``call_command`` that keeps what the command writes."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text.rstrip("\n"))

    def flush(self) -> None:
        pass


def monitored_load_test(
    output_dir: Path, sample_every: float = 0.5, backend: str = "celery", **generator
) -> str:
    """Run monitor and generator together; the monitor's output (raises if it failed)."""
    from django.core.management import call_command
    from django.db import connection

    output, failure = _Lines(), []

    def monitor() -> None:
        try:
            call_command(
                "monitor_load_test_tracking",
                "--sleep_time", str(sample_every), "--backend", backend, "--timeout", "120",
                "--output_dir", str(output_dir), stdout=output,
            )  # fmt: skip
        except Exception as error:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=monitor, name="load-test-monitor")
    thread.start()
    arguments = [f"--{key}={value}" for key, value in generator.items()]
    call_command("load_test_tracking_events", *arguments, stdout=_Lines())
    thread.join()
    if failure:
        raise failure[0]
    return "\n".join(output.lines)
