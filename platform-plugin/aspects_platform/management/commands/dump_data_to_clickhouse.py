"""``dump_data_to_clickhouse``: bulk-write one object type to ClickHouse (backfill, bootstrap).

Examples::

    ./manage.py lms dump_data_to_clickhouse --object user_profile --batch_size 1000 --sleep_time 5
    ./manage.py cms dump_data_to_clickhouse --object course_overviews --force
    ./manage.py lms dump_data_to_clickhouse --object course_enrollment --start_pk 123456
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from aspects_platform import backend, toggles
from aspects_platform.clickhouse.identifiers import InvalidIdentifierError
from aspects_platform.dump import DumpFailed, DumpOptions, DumpResult, ProgressOutputError, dump
from aspects_platform.management.arguments import non_negative_float, object_name, positive_int
from aspects_platform.sinks import MODEL_SINKS, sink_for


class Command(BaseCommand):
    """Dump every object of one type (or the ones selected) to its ClickHouse table."""

    help = (
        "Write the objects of one sink to ClickHouse in batches (keyset paging). Without "
        "--force, course_overviews only dumps courses modified since their last dump. Prints "
        "progress and a resume point (--start_pk) on stderr after each batch."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--object",
            required=True,
            type=object_name,
            choices=sorted(MODEL_SINKS),
            help="what to dump",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "course_overviews only: skip the staleness check (by default a course is dumped "
                "only when its LMS 'modified' is newer than the one already in ClickHouse) and "
                "dump every selected course; no effect on other objects, always dumped in full"
            ),
        )
        parser.add_argument(
            "--batch_size",
            type=positive_int,
            default=10_000,
            help="rows per INSERT (and per read from the LMS database); default 10000",
        )
        parser.add_argument(
            "--sleep_time",
            type=non_negative_float,
            default=0.0,
            help="seconds to pause after each batch, to spare the LMS database; default 0",
        )
        parser.add_argument("--ids", nargs="+", metavar="PK", help="dump only these keys")
        parser.add_argument("--ids_to_skip", nargs="+", metavar="PK", help="never dump these")
        parser.add_argument(
            "--start_pk", metavar="PK", help="dump only keys greater than this (resume point)"
        )
        parser.add_argument(
            "--limit", type=positive_int, help="dump exactly this many objects at most"
        )
        parser.add_argument(
            "--dry-run",
            "--dry_run",
            dest="dry_run",
            action="store_true",
            help="count what would be dumped; write nothing",
        )
        parser.add_argument("--url", help="ClickHouse URL (overrides the backend config)")
        parser.add_argument("--username", help="ClickHouse user")
        parser.add_argument("--password", help="ClickHouse password")
        parser.add_argument("--database", help="ClickHouse database of the sink tables")
        parser.add_argument("--timeout_secs", type=positive_int, help="ClickHouse timeout")

    def handle(self, *args, **options) -> None:
        """Validate, refuse disabled PII objects, dump, report."""
        object_name = options["object"]
        try:
            sink = sink_for(object_name)
            sink.model()
        except (ValueError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        if sink.is_pii() and not sink.is_enabled():
            raise CommandError(
                f"{object_name} holds PII (it is in EVENT_SINK_CLICKHOUSE_PII_MODELS) and its "
                f"sink is not enabled; refusing to dump it. To dump it, "
                f"set EVENT_SINK_CLICKHOUSE_PII_ENABLED = True and "
                f"{toggles.how_to_enable(object_name)}."
            )
        self._check_keys(sink, options)
        overrides = {key: options[key] for key in backend.CONNECTION_KEYS}
        config = backend.backend_config(overrides)
        try:
            backend.database_name(config)
        except InvalidIdentifierError as exc:
            raise CommandError(str(exc)) from exc
        dump_options = DumpOptions(
            batch_size=options["batch_size"],
            sleep_time=options["sleep_time"],
            ids=options["ids"],
            ids_to_skip=options["ids_to_skip"],
            start_pk=options["start_pk"],
            limit=options["limit"],
            force=options["force"],
            dry_run=options["dry_run"],
        )
        try:
            result = dump(
                sink,
                dump_options,
                lambda: backend.get_client(config),
                config["database"],
                self.stderr,
                cluster=backend.cluster_name(config),
            )
        except DumpFailed as failed:
            message = self._failure(failed)
            if isinstance(failed.error, ProgressOutputError):
                # stderr is what failed: the resume point must reach the operator elsewhere.
                self.stdout.write(message)
            raise CommandError(message) from failed.error
        self.stdout.write(self._summary(result))

    @staticmethod
    def _failure(failed: DumpFailed) -> str:
        """What failed, what was written, and where to resume."""
        done = failed.result
        if done.resume_pk is not None:
            resume = f"resume with --start_pk {done.resume_pk}"
        else:
            resume = "nothing was written; run the same command again"
        if isinstance(failed.error, ProgressOutputError):
            error = str(failed.error)
        else:
            error = f"{type(failed.error).__name__}: {failed.error}"
        unwritten = f", {done.unwritten} read batches not written" if done.unwritten else ""
        return (
            f"{done.object_name}: failed after {done.dumped:,} rows ({error}{unwritten}); {resume}"
        )

    @staticmethod
    def _check_keys(sink, options: dict) -> None:
        """Every key given on the command line must parse as the object's primary key."""
        for flag in ("ids", "ids_to_skip", "start_pk"):
            values = options[flag]
            for value in [values] if isinstance(values, str) else values or []:
                try:
                    sink.parse_pk(value)
                except Exception as exc:
                    raise CommandError(
                        f"--{flag} {value!r} is not a valid {sink.object_name} key "
                        f"({type(exc).__name__}: {exc})"
                    ) from exc

    @staticmethod
    def _summary(result: DumpResult) -> str:
        if result.dry_run:
            up_to_date = f"; {result.up_to_date:,} already up to date" if result.up_to_date else ""
            return (
                f"Dry run: would dump {result.dumped:,} {result.object_name} objects "
                f"(of {result.candidates:,} selected{up_to_date}); nothing written."
            )
        return (
            f"Dumped {result.dumped:,} {result.object_name} objects to ClickHouse in "
            f"{result.batches} batches, {result.seconds:.2f}s ({result.rate:,.0f} rows/s), "
            f"dump_id {result.dump_id}."
        )
