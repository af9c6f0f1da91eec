"""``python -m sandbox.clickhouse_server up|down|status|serve``."""

import sys

from .cli import main

sys.exit(main())
