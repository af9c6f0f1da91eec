"""Bulk dump of one object type: keyset pages read here, encoded and sent by a sender thread.

The main thread reads page N+1 from the LMS database while the sender thread encodes and
INSERTs page N (a bounded queue keeps at most ``QUEUE_SLOTS`` pages in memory).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.utils import timezone
from edx_django_utils.cache import RequestCache

from aspects_platform import retirement
from aspects_platform.sinks import CourseOverviewSink, DumpRun, ModelSink

QUEUE_SLOTS = 2
_STOP = object()


@dataclass(kw_only=True)
class DumpOptions:
    """What to dump and how fast (the command's flags: it gives every one)."""

    batch_size: int
    sleep_time: float
    ids: Sequence[Any] | None
    ids_to_skip: Sequence[Any] | None
    start_pk: Any
    limit: int | None
    force: bool
    dry_run: bool


@dataclass
class DumpResult:
    """What a run did."""

    object_name: str
    candidates: int
    dump_id: str
    dry_run: bool
    resume_pk: Any
    up_to_date: int = 0
    dumped: int = 0
    batches: int = 0
    unwritten: int = 0
    seconds: float = field(init=False)  # set when the run ends (``_collect``)

    @property
    def rate(self) -> float:
        """Rows per second."""
        return self.dumped / self.seconds if self.seconds > 0 else 0.0


class DumpFailed(RuntimeError):
    """A batch could not be written; ``result.resume_pk`` is where to start again."""

    def __init__(self, result: DumpResult, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.result = result
        self.error = error


class ProgressOutputError(OSError):
    """The progress stream (stderr) failed: a full disk, a closed pipe."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"progress output failed ({type(error).__name__}: {error})")


@dataclass
class Progress:
    """One line per batch on ``stream``: done/total, rate, ETA and the resume point."""

    object_name: str
    total: int
    stream: TextIO
    verb: str = "dumped"
    started: float = field(default_factory=time.monotonic)

    def batch_done(self, done: int, resume_pk: Any) -> None:
        """Print progress after a batch; raises ProgressOutputError if the stream fails."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = done / elapsed
        left = max(self.total - done, 0)
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        percent = 100.0 * done / self.total if self.total else 100.0
        try:
            self.stream.write(
                f"{self.object_name}: {self.verb} {done:,}/{self.total:,} ({percent:.1f}%) "
                f"{rate:,.0f} rows/s ETA {eta}; resume with --start_pk {resume_pk}\n"
            )
            self.stream.flush()
        except Exception as exc:
            raise ProgressOutputError(exc) from exc


class BatchSender:
    """A thread that writes queued batches in order and records the last pk written.

    Any failure in the thread (the INSERT, the progress line) stops it and is raised in the
    main thread by ``put`` or ``finish``; ``resume_pk`` is then the end of the last batch
    that was written, and batches still queued are counted in ``unwritten``.
    """

    def __init__(self, write: Callable[[Sequence[Any], DumpRun], int], progress: Progress) -> None:
        self._write = write
        self._progress = progress
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_SLOTS)
        self._abort = threading.Event()
        self.error: BaseException | None = None
        self.done = 0
        self.batches = 0
        self.queued = 0
        self.resume_pk: Any = None
        self._thread = threading.Thread(target=self._run, name="clickhouse-sender", daemon=True)
        self._thread.start()

    @property
    def unwritten(self) -> int:
        """Batches queued but not written (after a failure or an abort)."""
        return self.queued - self.batches

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP or self._abort.is_set():
                    return
                rows, run, resume_pk = item
                self.done += self._write(rows, run) if rows else 0
                self.batches += 1
                self.resume_pk = resume_pk
                self._progress.batch_done(self.done, resume_pk)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc

    def _check(self) -> None:
        if self.error is not None:
            raise self.error
        if not self._thread.is_alive():
            raise RuntimeError(
                f"the ClickHouse sender thread stopped with {self.unwritten} batches unwritten"
            )

    def put(self, rows: Sequence[Any], run: DumpRun, resume_pk: Any) -> None:
        """Queue a batch read as ``run`` (blocks while the queue is full); raises its error."""
        while True:
            self._check()
            try:
                self._queue.put((rows, run, resume_pk), timeout=0.1)
            except queue.Full:
                continue
            self.queued += 1
            return

    def finish(self) -> None:
        """Wait until every queued batch is written; raises the sender's error."""
        while self._thread.is_alive():
            try:
                self._queue.put(_STOP, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self.error is not None:
            raise self.error
        if self.unwritten:
            raise RuntimeError(f"{self.unwritten} queued batches were not written")

    def abort(self) -> None:
        """Stop after the batch in progress; queued batches stay ``unwritten``."""
        self._abort.set()
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:
            pass
        self._thread.join()


def filtered_queryset(sink: ModelSink, options: DumpOptions):
    """The sink's queryset narrowed by ``--ids``, ``--ids_to_skip`` and ``--start_pk``."""
    queryset = sink.queryset()
    if options.ids:
        queryset = queryset.filter(pk__in=[sink.parse_pk(i) for i in options.ids])
    if options.ids_to_skip:
        queryset = queryset.exclude(pk__in=[sink.parse_pk(i) for i in options.ids_to_skip])
    if options.start_pk is not None:
        queryset = queryset.filter(pk__gt=sink.parse_pk(options.start_pk))
    return queryset


def keyset_pages(
    sink: ModelSink, queryset, next_size: Callable[[], int], run: DumpRun
) -> Iterator[tuple[list, DumpRun]]:
    """Pages of raw rows by ``pk > last ORDER BY pk LIMIT n`` (no OFFSET, flat cost).

    Each page comes with ``run`` versioned just before its SELECT (``DumpRun.read_now``).
    """
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        size = next_size()
        page_run = run.read_now()
        rows = sink.fetch(page.order_by("pk")[:size])
        if not rows:
            return
        yield rows, page_run
        if len(rows) < size:
            return
        last = sink.pk_of(rows[-1])


def clear_request_cache() -> None:
    """Forget what the platform cached for this "request" (one page of a management command).

    Split keeps every course structure it loads in the request cache, and nothing clears it
    inside a management command: without this, a dump of every course holds them all.
    """
    RequestCache.clear_all_namespaces()


def dump(
    sink: ModelSink,
    options: DumpOptions,
    client_factory: Callable[[], Any],
    database: str,
    stream: TextIO,
    cluster: str = "",
) -> DumpResult:
    """Dump the objects selected by ``options``; raises DumpFailed with the resume point."""
    marked_from = timezone.now()
    queryset = filtered_queryset(sink, options)
    selected = queryset.count()
    run = DumpRun.start()
    result = DumpResult(
        sink.object_name,
        selected,
        dump_id=run.dump_id,
        dry_run=options.dry_run,
        resume_pk=options.start_pk,
    )
    started = time.monotonic()
    sender: BatchSender | None = None
    try:
        client = None
        changed = None
        if isinstance(sink, CourseOverviewSink) and not options.force:
            client = client_factory()
            keys = [str(sink.parse_pk(i)) for i in options.ids] if options.ids else None
            dumped = sink.dumped_modified(client, database, keys)
            changed = sink.changed_filter(dumped)
            stale = sink.stale_count(queryset, dumped)
            result.up_to_date = selected - stale
            selected = stale
        total = selected if options.limit is None else min(selected, options.limit)
        result.candidates = total
        if not options.dry_run and client is None:
            client = client_factory()

        def write(prepared: Sequence[Any], page_run: DumpRun) -> int:
            if options.dry_run:
                return len(prepared)
            return sink.write(client, database, prepared, page_run)

        verb = "would dump" if options.dry_run else "dumped"
        sender = BatchSender(write, Progress(sink.object_name, total, stream, verb))
        remaining = options.limit

        def next_size() -> int:
            # Without a staleness filter a page never reads more than the limit still allows.
            if remaining is None or changed is not None:
                return options.batch_size
            return min(options.batch_size, remaining)

        for rows, page_run in keyset_pages(sink, queryset, next_size, run):
            resume_pk = sink.pk_of(rows[-1])
            if changed is not None:
                rows = [row for row in rows if changed(row)]
            if remaining is not None and len(rows) >= remaining:
                rows = rows[:remaining]
                resume_pk = sink.pk_of(rows[-1]) if rows else resume_pk
            if remaining is not None:
                remaining -= len(rows)
            prepared = rows if options.dry_run else sink.prepare(rows, page_run)
            sender.put(prepared, page_run, resume_pk)
            clear_request_cache()
            if remaining == 0:
                break
            if options.sleep_time:
                time.sleep(options.sleep_time)
        sender.finish()
        if not options.dry_run and sink.user_field:
            # A page read before a retirement began may have been inserted after its DELETE.
            retirement.retire_marked_since(client, database, marked_from, cluster)
    except BaseException as exc:
        if sender is not None:
            _stop_sender(sender, drain=isinstance(exc, Exception))
            if sender.batches and not options.dry_run and sink.user_field:
                retirement.retire_marked_since_safely(client, database, marked_from, cluster)
        _collect(result, sender, started)
        raise DumpFailed(result, exc) from exc
    _collect(result, sender, started)
    return result


def _stop_sender(sender: BatchSender, drain: bool) -> None:
    """After a failure: write what is queued (``drain``: the reader failed) or abort (Ctrl-C).

    The first failure is the one reported; if draining fails too, the resume point simply
    stays at the last batch written.
    """
    if not drain:
        sender.abort()
        return
    with contextlib.suppress(BaseException):
        sender.finish()


def _collect(result: DumpResult, sender: BatchSender | None, started: float) -> None:
    result.seconds = time.monotonic() - started
    if sender is None:
        return
    result.dumped = sender.done
    result.batches = sender.batches
    result.unwritten = sender.unwritten
    if sender.resume_pk is not None:
        result.resume_pk = sender.resume_pk
