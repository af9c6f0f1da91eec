"""``monitor_load_test_tracking``: sample a load test's pipeline, then print its report.

Example::

    ./manage.py lms monitor_load_test_tracking --sleep_time 5 --backend celery

Attaches to the newest unfinished run started in the last few minutes (waiting up to
``--timeout`` for one), stores a sample every ``--sleep_time`` seconds in ``load_test_stats``
(xAPI rows of the run, newest event, lag, the backend's backlog), and stops once the run has
ended and nothing is left to arrive (or ``--timeout`` after its end). Then prints the report and
writes its CSV and PNG. While ClickHouse does not answer it keeps sampling the backlog and the
LRS and stores the samples once ClickHouse is back; any it never could are written to
``load_test_<run>_unstored.csv`` in the output folder (and the report is built from memory).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aspects_platform.load_test.backlogs import BACKENDS
from aspects_platform.load_test.monitor import Monitor, MonitorOptions, NoRunFound
from aspects_platform.load_test.output import add_output_dir, output_dir, print_report
from aspects_platform.load_test.report import build_report, load_report, write_unstored_samples
from aspects_platform.load_test.store import LoadTestStore
from aspects_platform.management.arguments import positive_float


class Command(BaseCommand):
    """Monitor the running load test and report on it."""

    help = "Sample a running load test into ClickHouse (load_test_stats), then report on it."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--sleep_time", type=positive_float, default=10.0, help="seconds between samples (> 0)"
        )
        parser.add_argument(
            "--backend",
            choices=BACKENDS,
            default="celery",
            help="the pipeline whose backlog is measured",
        )
        parser.add_argument(
            "--timeout",
            type=positive_float,
            default=300.0,
            help="seconds to wait for a run to start, and for its backlog after it ended (> 0)",
        )
        add_output_dir(parser)

    def handle(self, *args, **options) -> None:
        store = LoadTestStore()
        monitor = Monitor(
            store,
            MonitorOptions(options["sleep_time"], options["backend"], options["timeout"]),
            out=self.stdout.write,
        )
        directory = output_dir(options["output_dir"])
        try:
            run_id = monitor.run()
        except NoRunFound as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            self.stderr.write("monitor interrupted")
            spill_samples(self, monitor, directory)
            return
        if not monitor.pending:
            print_report(self, load_report(store, run_id), directory)
            return
        # ClickHouse still unreachable: nothing is lost, the report comes from memory.
        spill_samples(self, monitor, directory)
        print_report(self, build_report(run_id, monitor.rows, monitor.samples), directory)


def spill_samples(command: BaseCommand, monitor: Monitor, directory: Path) -> None:
    """Write the samples ClickHouse never took to a local CSV, and say where."""
    if not monitor.pending:
        return
    run_id = monitor.rows["start"].run_id
    path = write_unstored_samples(monitor.pending, directory / f"load_test_{run_id}_unstored.csv")
    command.stderr.write(
        f"ClickHouse unreachable: {len(monitor.pending)} samples not stored in load_test_stats; "
        f"written to {path.resolve()}"
    )
