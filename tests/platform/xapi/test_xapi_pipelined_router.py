"""PipelinedSyncEventsRouter (the sandbox's sync router): posts in the background, loses nothing.

Ralph is really stalled (SIGSTOP on the Ralph this test started) or really stopped.
"""

import os
import signal
import threading

import pytest
from aspects_platform.load_test import events
from aspects_platform.load_test.generator import create_course, create_learners
from aspects_platform.xapi_router import PipelinedSyncEventsRouter

KINDS = ("problem_check", "load_video", "play_video", "next_selected")


def xapi_rows(client) -> int:
    return client.query("SELECT count() FROM xapi_events_all FINAL").result_rows[0][0]


@pytest.fixture
def own_ralph(xapi_pipeline, tmp_path, settings):
    """A Ralph of this test's own (to stall or stop), batches of 4, the learner set up."""
    from sandbox.lms.xapi_router import configure_router
    from sandbox.ralph.process import RalphServer

    ralph = RalphServer(tmp_path / "ralph", xapi_pipeline.clickhouse).start()
    configure_router(ralph.route_url, ralph.lms_username, ralph.lms_password)
    settings.EVENT_ROUTING_BACKEND_BATCH_SIZE = 4
    settings.EVENT_ROUTING_BACKEND_BATCH_INTERVAL = 3600
    blocks = create_course("PIPE", None)
    (learner,) = create_learners("pl_", 1, blocks.course_key)
    events.flush_pending_events()  # the enrollment's statement
    yield ralph, learner, blocks
    ralph.stop()


def emit_two_batches(learner, blocks) -> None:
    for kind in KINDS * 2:
        events.EMITTERS[kind](learner, blocks)


@pytest.mark.django_db(transaction=True)
def test_a_stalled_lrs_does_not_block_the_emitting_thread(own_ralph, xapi_ch):
    ralph, learner, blocks = own_ralph
    (router,) = events.erb_routers()
    assert isinstance(router, PipelinedSyncEventsRouter)
    before, failed_before = xapi_rows(xapi_ch), router.failed_events
    emitted = threading.Event()

    def emit() -> None:
        emit_two_batches(learner, blocks)
        emitted.set()

    pid = int(ralph.pid_file.read_text())  # uvicorn (start.sh execs it)
    os.kill(pid, signal.SIGSTOP)  # Ralph accepts connections but answers nothing
    try:
        threading.Thread(target=emit, daemon=True).start()
        # Two full batches handed over while the LRS answers nothing: the emitter went on.
        assert emitted.wait(60)
        assert xapi_rows(xapi_ch) == before
    finally:
        os.kill(pid, signal.SIGCONT)
    events.flush_pending_events()  # waits for the sender
    assert xapi_rows(xapi_ch) == before + 8
    assert router.failed_events == failed_before  # (counted since the process started)


@pytest.mark.parametrize("refusal", ["stopped", "wrong password"])
@pytest.mark.django_db(transaction=True)
def test_batches_the_lrs_refused_go_to_the_dead_queue(own_ralph, xapi_ch, refusal):
    from django_redis import get_redis_connection

    from sandbox.lms.xapi_router import configure_router

    ralph, learner, blocks = own_ralph
    (router,) = events.erb_routers()
    failed_before = router.failed_events
    if refusal == "stopped":
        ralph.stop()
    else:  # Ralph answers 401
        configure_router(ralph.route_url, ralph.lms_username, "not-" + ralph.lms_password)
    emit_two_batches(learner, blocks)
    assert events.flush_pending_events() == 0
    # Both batches, raw, where ERB keeps them for recover_failed_events.
    assert get_redis_connection().llen(router.dead_queue) == 8
    assert router.failed_events - failed_before == 8
