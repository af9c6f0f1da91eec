"""Where the load-test commands write the report files, and how they print the report."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from aspects_platform.load_test.report import Report, write_files


def add_output_dir(parser) -> None:
    parser.add_argument(
        "--output_dir",
        type=Path,
        default=None,
        help="where the CSV and PNG go (default: ASPECTS_LOAD_TEST_OUTPUT_DIR, else "
        "./load_test_reports)",
    )


def output_dir(option: Path | None) -> Path:
    default = getattr(settings, "ASPECTS_LOAD_TEST_OUTPUT_DIR", None) or "load_test_reports"
    return Path(option or os.environ.get("ASPECTS_LOAD_TEST_OUTPUT_DIR") or default)


def print_report(command, report: Report, directory: Path) -> None:
    """The report's lines, then the files written (absolute paths)."""
    for line in report.lines():
        command.stdout.write(line)
    csv_path, png_path = write_files(report, directory)
    command.stdout.write(f"  samples (CSV):   {csv_path.resolve()}")
    command.stdout.write(f"  plot (PNG):      {png_path.resolve()}")
