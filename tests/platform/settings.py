"""Test settings: the sandbox LMS, with a throw-away SQLite file and short Celery backoff."""

import atexit
import os
import shutil
import tempfile

_TMP = tempfile.mkdtemp(prefix="aspects-platform-tests-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ.setdefault("ASPECTS_SANDBOX_DIR", _TMP)

from sandbox.lms.settings import *  # noqa: E402, F403
from sandbox.lms.settings import DATABASES  # noqa: E402

# A file (not :memory:) so Celery worker threads see what the test committed.
DATABASES["default"]["TEST"] = {"NAME": os.path.join(_TMP, "test_lms.sqlite3")}

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_SECS = 0.1
EVENT_SINK_CLICKHOUSE_RETRY_BACKOFF_MAX_SECS = 0.5
EVENT_SINK_CLICKHOUSE_MAX_RETRIES = 200
# Filled per test from the ``clickhouse`` fixture (embedded server or ASPECTS_TEST_CLICKHOUSE_URL).
EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG = {}
