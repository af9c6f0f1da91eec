"""``aspects_doctor``: check every part of Aspects this LMS depends on, one line each.

    --format text   (default) one line per finding: status, check, what was found -> what to do
    --format json   a list of {check, status, message, action}, for monitoring

Exits non-zero when any finding is an error (after printing every finding).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from aspects_platform.doctor import DoctorContext, run_checks
from aspects_platform.doctor.findings import ERROR, Finding

FORMATS = ("text", "json")


def text_line(finding: Finding) -> str:
    """``[status] check: message -> action`` on one line."""
    action = f" -> {finding.action}" if finding.action else ""
    return f"[{finding.status}] {finding.check}: {finding.message}{action}"


class Command(BaseCommand):
    help = "Check ClickHouse, the sinks, the data and the services Aspects needs; one line each."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="text",
            help="text (one line per finding) or json (a list, for monitoring)",
        )

    def handle(self, *args, **options) -> None:
        ctx = DoctorContext()
        try:
            findings = run_checks(ctx)
        finally:
            ctx.close()
        if options["format"] == "json":
            self.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2))
        else:
            for finding in findings:
                self.stdout.write(text_line(finding))
        errors = [f.check for f in findings if f.status == ERROR]
        if errors:
            raise CommandError(f"{len(errors)} error(s): {', '.join(dict.fromkeys(errors))}")
