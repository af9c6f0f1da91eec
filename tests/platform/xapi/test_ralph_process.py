"""The sandbox's Ralph as ``make sandbox-up`` / ``sandbox-down`` handle it: started detached by
one process, found and stopped by another through its home's pid file."""

from __future__ import annotations

import os

from sandbox.ralph.process import RalphServer, heartbeat


def test_a_detached_ralph_is_found_and_stopped_from_another_handle(ralph, tmp_path):
    home = tmp_path / "ralph"
    started = RalphServer(home, ralph.clickhouse).start(detached=True)
    other = RalphServer(home, ralph.clickhouse)  # what `python -m sandbox.ralph down` builds
    try:
        assert other.is_up()
        assert other.running_pid() == started._process.pid
        assert other.start() is other  # already up: no second Ralph on the same port
        other.stop()
        assert started._process.wait(timeout=30) is not None
        assert not heartbeat(started.url)
    finally:
        started.stop()


def test_a_pid_file_naming_another_program_is_not_ralph(ralph, tmp_path):
    stale = RalphServer(tmp_path / "stale", ralph.clickhouse)
    stale.pid_file.write_text(f"{os.getpid()}\n")  # this test process: not Ralph
    assert stale.running_pid() is None
    assert not stale.is_up()
