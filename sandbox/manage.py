#!/usr/bin/env python
"""Run a management command of the sandbox LMS, from any working directory."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.lms.paths import add_to_sys_path  # noqa: E402


def main() -> None:
    """Entry point: ``python sandbox/manage.py <command> [options]``."""
    add_to_sys_path()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.lms.settings")
    from django.core.management import execute_from_command_line

    from sandbox.lms.bootstrap import ensure_database

    ensure_database(sys.argv)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
