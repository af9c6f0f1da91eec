#!/usr/bin/env python
"""Run a management command of the sandbox LMS/CMS, from any working directory.

As edx-platform's ``manage.py``: ``./manage.py [lms|cms] <command> [options]``. The service
(default ``lms``) goes to ``SERVICE_VARIANT`` (set only when the environment has none, as
edx-platform does), which the sandbox settings read.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.lms.paths import add_to_sys_path  # noqa: E402

SERVICES = ("lms", "cms")


def main() -> None:
    """Entry point: ``python sandbox/manage.py [lms|cms] <command> [options]``."""
    argv = list(sys.argv)
    service = argv.pop(1) if len(argv) > 1 and argv[1] in SERVICES else SERVICES[0]
    os.environ.setdefault("SERVICE_VARIANT", service)
    add_to_sys_path()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.lms.settings")
    from django.core.management import execute_from_command_line

    from sandbox.lms.bootstrap import ensure_database

    ensure_database(argv)
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
