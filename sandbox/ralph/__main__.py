"""``python -m sandbox.ralph up|down|status``."""

import sys

from .cli import main

sys.exit(main())
