"""``load_test_report``: the report of any past load test run, from its stored samples.

Example::

    ./manage.py lms load_test_report --run_id 3f2a9c0d1e4b --output_dir /tmp/reports
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aspects_platform.load_test.output import add_output_dir, output_dir, print_report
from aspects_platform.load_test.report import ReportError, load_report
from aspects_platform.load_test.store import LoadTestStore


class Command(BaseCommand):
    """Print a run's report and write its CSV and PNG."""

    help = "Report on a load test run (events sent/arrived, loss, throughput, lag, backlog)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--run_id", required=True, help="the run (printed when it started)")
        add_output_dir(parser)

    def handle(self, *args, **options) -> None:
        try:
            report = load_report(LoadTestStore(), options["run_id"])
        except ReportError as error:
            raise CommandError(str(error)) from None
        print_report(self, report, output_dir(options["output_dir"]))
