"""load_test_tracking_events, monitor_load_test_tracking and load_test_report on the sandbox."""

import csv
import io
import json
import signal
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aspects_platform.load_test.monitor import Monitor, MonitorOptions, NoRunFound, next_tick
from aspects_platform.load_test.report import load_report, percentile
from aspects_platform.load_test.store import LoadTestStore
from django.core.management import CommandError, call_command

from sandbox.load_test_run import monitored_load_test
from tests.platform.conftest import wait_for

REPO = Path(__file__).resolve().parents[3]


def run_rows(ch, run_id: str) -> dict[str, dict]:
    rows = ch.query(
        "SELECT event_type, extra FROM load_test_runs WHERE run_id = {r:String}",
        parameters={"r": run_id},
    ).result_rows
    return {kind: json.loads(extra) for kind, extra in rows}


def only_run_id(ch) -> str:
    (run_id,) = {row[0] for row in ch.query("SELECT run_id FROM load_test_runs").result_rows}
    return run_id


def monitored_run(tmp_path, **generator) -> tuple[str, Path]:
    """Monitor (thread) + generator (this thread), as `tutor local do load-test` runs them."""
    output = monitored_load_test(tmp_path, sample_every=0.3, sleep_time=0, **generator)
    return output, tmp_path


@pytest.mark.django_db(transaction=True)
def test_a_monitored_run_reports_every_event_from_its_samples(xapi_pipeline, ch, xapi_ch, tmp_path):
    output, folder = monitored_run(tmp_path, num_users=2, num_events=25, tags="sync")
    run_id = only_run_id(ch)
    rows = run_rows(ch, run_id)
    assert rows["start"]["tags"] == ["sync"] and rows["start"]["parameters"]["num_events"] == 25
    assert rows["end"]["sent_event_count"] == 25 and rows["end"]["interrupted"] is False

    start = LoadTestStore().run_rows(run_id)["start"].timestamp
    arrived = xapi_ch.query(
        "SELECT count() FROM xapi_events_all FINAL WHERE emission_time >= {s:DateTime64(6, 'UTC')}",
        parameters={"s": start.replace(tzinfo=None)},
    ).result_rows[0][0]
    assert arrived == 25

    samples = LoadTestStore().samples(run_id)
    assert samples[-1].stats["clickhouse"]["run_rows"] == arrived
    assert samples[-1].stats["backlog"]["backlog"] is None  # eager Celery: the sample says so
    assert "eagerly" in samples[-1].stats["backlog"]["note"]

    report = load_report(LoadTestStore(), run_id)
    lags = [
        s.stats["clickhouse"]["lag_seconds"]
        for s in samples
        if s.stats["clickhouse"]["run_rows"] and s.timestamp <= _first_complete(samples)
    ]
    assert (report.sent, report.arrived, report.lost) == (25, 25, 0)
    assert report.lag_p95_s == percentile(lags, 0.95) and report.lag_max_s == max(lags)
    assert f"events arrived:  {arrived}" in output and "lost:            0 (0.0 %)" in output

    with (folder / f"load_test_{run_id}.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert [int(row["rows"]) for row in table] == [
        s.stats["clickhouse"]["run_rows"] for s in samples
    ]
    plotted = png_description(folder / f"load_test_{run_id}.png")
    assert plotted["throughput (events/s)"] == [float(row["throughput_eps"]) for row in table]
    assert plotted["elapsed"] == [float(row["elapsed_s"]) for row in table]
    assert str((folder / f"load_test_{run_id}.png").resolve()) in output


def _first_complete(samples):
    final = samples[-1].stats["clickhouse"]["run_rows"]
    return next(s.timestamp for s in samples if s.stats["clickhouse"]["run_rows"] == final)


def png_description(path: Path) -> dict:
    """The PNG's ``Description`` text chunk (checks the signature and that chunks parse)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, texts = 8, {}
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        crc = int.from_bytes(data[position + 8 + length : position + 12 + length], "big")
        assert zlib.crc32(kind + body) == crc
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode()] = value.decode("latin-1")
        position += 12 + length
    assert kind == b"IEND"
    return json.loads(texts["Description"])


@pytest.mark.django_db(transaction=True)
def test_report_command_reports_a_past_run(xapi_pipeline, ch, tmp_path):
    monitored_run(tmp_path / "first", num_users=1, num_events=5)
    run_id = only_run_id(ch)
    output = io.StringIO()
    call_command(
        "load_test_report", "--run_id", run_id, "--output_dir", str(tmp_path / "again"),
        stdout=output,
    )  # fmt: skip
    assert "events sent:     5" in output.getvalue()
    assert (tmp_path / "again" / f"load_test_{run_id}.png").exists()
    with pytest.raises(CommandError, match="no load test run 'nope'"):
        call_command("load_test_report", "--run_id", "nope")


@pytest.mark.django_db(transaction=True)
def test_monitor_attaches_only_to_a_recent_unfinished_run(xapi_pipeline, ch):
    store = LoadTestStore()
    now = datetime.now(UTC)
    store.record("old", "start", {}, when=now - timedelta(hours=1))  # never ended, too old
    store.record("done", "start", {}, when=now)
    store.record("done", "end", {"sent_event_count": 0}, when=now)
    quick = MonitorOptions(sleep_time=0.1, backend="celery", timeout=0.3)
    said: list[str] = []
    with pytest.raises(NoRunFound, match="no unfinished load test"):
        Monitor(store, quick, out=said.append).attach()
    # It says it is looking before it looks (a generator started after this line is seen).
    assert said == ["waiting for a load test to start (up to 0.3 s)"]
    with pytest.raises(CommandError, match="no unfinished load test"):
        call_command("monitor_load_test_tracking", "--sleep_time", "0.1", "--timeout", "0.3")

    store.record("new", "start", {}, when=datetime.now(UTC))
    assert Monitor(store, quick, out=lambda _: None).attach().run_id == "new"


def test_a_slow_sample_keeps_the_period():
    assert next_tick(10.0, 2.0, 11.0) == 12.0  # on time
    assert next_tick(10.0, 2.0, 12.5) == 14.0  # overran one tick: the grid is kept
    assert next_tick(10.0, 2.0, 17.0) == 18.0


@pytest.mark.parametrize(
    ("command", "arguments", "message"),
    [
        ("monitor_load_test_tracking", ["--backend", "kafka"], "invalid choice: 'kafka'"),
        ("monitor_load_test_tracking", ["--sleep_time", "-1"], "must be 0 or more"),
        ("load_test_tracking_events", ["--sleep_time", "-0.5"], "must be 0 or more"),
        ("load_test_tracking_events", ["--num_users", "0"], "must be 1 or more"),
        ("load_test_tracking_events", ["--num_events", "0"], "must be 1 or more"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_bad_flags_fail_before_anything_starts(ch, command, arguments, message):
    ch.command("TRUNCATE TABLE load_test_runs")
    with pytest.raises(CommandError, match=message):
        call_command(command, *arguments)
    assert ch.query("SELECT count() FROM load_test_runs").result_rows[0][0] == 0


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_still_writes_the_end_row(sandbox_env, ch, xapi_ch):
    env = sandbox_env
    before = xapi_rows(xapi_ch)  # earlier tests' statements may still be there
    process = subprocess.Popen(
        [sys.executable, "sandbox/manage.py", "load_test_tracking_events", "--run_until_killed",
         "--num_users", "1", "--sleep_time", "0.01"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: process.poll() is None and _started(ch), timeout=120)
        # A sample, as an attached monitor writes: the generator stops waiting for one.
        LoadTestStore().store_sample(only_run_id(ch), {}, datetime.now(UTC))
        assert wait_for(lambda: xapi_rows(xapi_ch) >= before + 3, timeout=120)  # flowing
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=150)
    finally:
        if process.poll() is None:
            process.kill()
    run_id = only_run_id(ch)
    end = run_rows(ch, run_id)["end"]
    assert end["interrupted"] is True and end["sent_event_count"] >= 3
    assert f"{end['sent_event_count']} events sent" in output


def xapi_rows(client) -> int:
    return client.query("SELECT count() FROM xapi_events_all FINAL").result_rows[0][0]


def _started(ch) -> bool:
    return ch.query("SELECT count() FROM load_test_runs").result_rows[0][0] > 0


def run_with_outage(settings, outage) -> tuple:
    """16 events (ERB batches of 4) with a monitor thread sampling every 0.2 s;
    ``outage(run, monitor)`` runs after each event. (run, monitor, what the monitor said)."""
    import threading

    from aspects_platform.load_test.generator import LoadTest, LoadTestOptions

    settings.EVENT_ROUTING_BACKEND_BATCH_SIZE = 4
    settings.EVENT_ROUTING_BACKEND_BATCH_INTERVAL = 3600
    store = LoadTestStore()
    said: list[str] = []
    monitor = Monitor(store, MonitorOptions(0.2, "celery", 120), out=said.append)
    thread = threading.Thread(target=monitor.run)
    thread.start()
    run = LoadTest(LoadTestOptions(num_users=1, num_events=16, sleep_time=0.001), store)
    run.sleep = lambda _seconds: outage(run, monitor)
    try:
        run.run()
    finally:
        thread.join(300)
    assert not thread.is_alive()
    return run, monitor, said


@pytest.mark.django_db(transaction=True)
def test_ralph_down_mid_run_the_report_says_what_erb_kept(
    xapi_pipeline, ch, xapi_ch, tmp_path, settings
):
    from aspects_platform.load_test.report import build_report

    from sandbox.lms.xapi_router import configure_router
    from sandbox.ralph.process import RalphServer

    own = RalphServer(tmp_path / "ralph", xapi_pipeline.clickhouse).start()  # ours to stop
    configure_router(own.route_url, own.lms_username, own.lms_password)

    def stop_ralph_after_eight_events(run, monitor: Monitor) -> None:
        if run.sent == 8:
            own.stop()
            # The monitor samples the LRS too: it sees Ralph down before the run goes on.
            assert wait_for(lambda: any(lrs_down(s.stats) for s in monitor.samples), timeout=60)

    try:
        run, monitor, _ = run_with_outage(settings, stop_ralph_after_eight_events)
    finally:
        own.stop()
    store = LoadTestStore()
    kept = run_rows(ch, run.run_id)["end"]["kept_for_retry"]
    report = build_report(run.run_id, store.run_rows(run.run_id), store.samples(run.run_id))
    arrived = report.arrived  # the run's rows (the learner's enrollment came before its start)
    assert arrived == xapi_rows(xapi_ch) - 1
    assert 0 < arrived < 16 and kept > 0  # some before the stop, the rest kept by ERB
    assert arrived + kept == 16
    assert (report.kept_for_retry, report.lost) == (kept, 0)
    text = "\n".join(report.lines())
    assert f"kept for retry:  {kept} in ERB's dead queue" in text
    assert "recover_failed_events --transformer_type xapi" in text
    assert report.lrs_down_s > 0 and report.clickhouse_down_s == 0
    assert (
        f"not arrived:     {kept} events lost or still queued (sent 16 - arrived {arrived}: "
        f"{kept} kept in ERB's dead queue, no queue measured, 0 lost); "
        f"why: Ralph (the LRS) down for {report.lrs_down_s:.1f} s"
    ) in text


def lrs_down(stats: dict) -> bool:
    return stats["lrs"]["up"] is False


@pytest.mark.django_db(transaction=True)
def test_clickhouse_down_mid_run_samples_wait_and_the_report_says_why(
    xapi_pipeline, embedded_clickhouse, ch, xapi_ch, settings
):
    def clickhouse_down_for_four_events(run, monitor: Monitor) -> None:
        if run.sent == 8:
            embedded_clickhouse.stop()
            # Still sampling (backlog, LRS) with nowhere to store: the samples wait.
            assert wait_for(lambda: len(monitor.pending) >= 2, timeout=60)
        if run.sent == 12:
            embedded_clickhouse.start()

    try:
        run, monitor, said = run_with_outage(settings, clickhouse_down_for_four_events)
    finally:
        embedded_clickhouse.start()  # no-op when up
    assert monitor.pending == []
    store = LoadTestStore()
    stored = store.samples(run.run_id)
    assert [s.timestamp for s in stored] == [s.timestamp for s in monitor.samples]
    down = [s.stats for s in stored if s.stats["clickhouse"].get("unreachable")]
    assert down and all(s["clickhouse"]["run_rows"] is None for s in down)
    # Ralph answered its heartbeat meanwhile, without its database.
    assert all(s["lrs"]["up"] is True for s in down)
    assert any(s["lrs"]["database"] != "ok" for s in down)
    assert any(line.startswith("ClickHouse unreachable (") for line in said)
    assert any(line.startswith("ClickHouse answers again after") for line in said)

    report = load_report(store, run.run_id)
    kept = run_rows(ch, run.run_id)["end"]["kept_for_retry"]
    assert kept > 0 and report.arrived == 16 - kept == xapi_rows(xapi_ch) - 1
    assert report.clickhouse_down_s > 0 and report.lost == 0
    assert (
        f"not arrived:     {kept} events lost or still queued (sent 16 - arrived {report.arrived}:"
        f" {kept} kept in ERB's dead queue, no queue measured, 0 lost); "
        f"why: ClickHouse unreachable for {report.clickhouse_down_s:.1f} s"
    ) in "\n".join(report.lines())
    with_gap = [point for point in report.series if point.rows is None]
    assert len(with_gap) == len(down) and all(p.throughput_eps is None for p in with_gap)


@pytest.mark.django_db(transaction=True)
def test_samples_clickhouse_never_took_go_to_a_local_csv(
    xapi_pipeline, embedded_clickhouse, ch, tmp_path
):
    import threading

    store = LoadTestStore()
    store.record("stuck", "start", {}, when=datetime.now(UTC))
    out, err = io.StringIO(), io.StringIO()
    command = threading.Thread(
        target=call_command,
        args=("monitor_load_test_tracking", "--sleep_time", "0.1", "--timeout", "1"),
        kwargs={"output_dir": tmp_path, "stdout": out, "stderr": err},
    )
    command.start()
    try:
        assert wait_for(lambda: store.sample_count("stuck") > 0, timeout=60)
        embedded_clickhouse.stop()  # for good: the monitor gives up after --timeout
        command.join(120)
    finally:
        embedded_clickhouse.start()
    assert not command.is_alive()
    spilled = tmp_path / "load_test_stuck_unstored.csv"
    with spilled.open() as handle:
        table = list(csv.DictReader(handle))
    # (the first may have counted rows just before the stop, then failed to be stored)
    assert sum(json.loads(row["stats"])["clickhouse"]["run_rows"] is None for row in table) >= 1
    assert f"{len(table)} samples not stored in load_test_stats; written to {spilled}" in (
        err.getvalue()
    )
    stored = store.sample_count("stuck")
    assert stored >= 1 and len(table) >= 2  # stored before the stop, kept after it
    text = out.getvalue()
    assert "stopped: ClickHouse unreachable for" in text
    assert "not arrived:     unknown (no end row: events sent unknown)" in text
    assert (tmp_path / "load_test_stuck.png").exists()  # the report, built from memory


@pytest.mark.django_db(transaction=True)
def test_the_end_row_waits_for_clickhouse_to_answer_again(
    xapi_pipeline, embedded_clickhouse, ch, tmp_path
):
    import threading

    from aspects_platform.load_test.generator import LoadTest, LoadTestOptions

    said: list[str] = []
    run = LoadTest(
        LoadTestOptions(num_users=1, num_events=4, sleep_time=0.001), LoadTestStore(), said.append
    )
    down = threading.Event()

    def clickhouse_down_before_the_end(seconds: float) -> None:
        if run.sent == 4 and not down.is_set():  # after the last event
            down.set()
            embedded_clickhouse.stop()
            threading.Timer(3.0, embedded_clickhouse.start).start()
        time.sleep(seconds)

    run.sleep = clickhouse_down_before_the_end
    try:
        run.run()
    finally:
        wait_for(lambda: embedded_clickhouse.embedded.is_up(), timeout=60)
    assert down.is_set()
    assert "ClickHouse unreachable (" in " ".join(said)
    end = run_rows(ch, run.run_id)["end"]
    assert end["sent_event_count"] == 4 and end["interrupted"] is False
