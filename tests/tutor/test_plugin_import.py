"""Importing the plugin is cheap: no file reads, no network, no hashing at import time."""

from __future__ import annotations

import json
import subprocess
import sys

# Records every `open` and `socket.*` audit event raised while the plugin module is imported.
PROBE = """
import json, sys
events = []
def hook(event, args):
    if event == "open" or event.startswith("socket."):
        events.append([event, str(args[0]) if args else ""])
import tutor.hooks  # Tutor itself is loaded before any plugin
sys.addaudithook(hook)
import tutoraspects.plugin
sys.addaudithook(lambda *a: None)
modules = sorted(name for name in sys.modules if name.split(".")[0] in ("bcrypt", "passlib"))
print(json.dumps({"events": events, "hash_modules": modules}))
"""


def test_import_reads_no_file_and_opens_no_socket() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # Python's own loading of .py/.pyc modules is fine; anything else (patches, templates,
    # config files) must wait until Tutor renders.
    reads = [
        path
        for event, path in report["events"]
        if event == "open" and not path.endswith((".py", ".pyc")) and "__pycache__" not in path
    ]
    sockets = [event for event, _ in report["events"] if event.startswith("socket.")]
    assert not reads, reads
    assert not sockets, sockets
    assert report["hash_modules"] == []
