"""``retire_users_from_clickhouse``: report and re-drive users' retirements from ClickHouse.

    --list                 every retirement not done yet (state, attempts, last error)
    --redrive              run them now: submit the mutations again (pending), or check
                           that a submitted one finished on every replica (done) and
                           submit it again if rows are left
    --user-id ID ...       only these users (with --redrive: recorded first if unknown)
    --from-requests        with --redrive: also every user with a retirement request that
                           has no record (e.g. retired before the app was installed)

Idempotent: a done retirement is skipped; deleting rows already gone changes nothing.
Exits non-zero when a retirement could not be driven (its error is kept in the record).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aspects_platform import backend, retirement
from aspects_platform.models import ClickHouseRetirement
from aspects_platform.sinks import retired_users


class Command(BaseCommand):
    help = "List (--list) or re-drive (--redrive) users' retirements from ClickHouse."

    def add_arguments(self, parser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--list", action="store_true", help="report retirements not done")
        action.add_argument("--redrive", action="store_true", help="run them again now")
        parser.add_argument("--user-id", type=int, nargs="+", help="only these user ids")
        parser.add_argument(
            "--from-requests",
            action="store_true",
            help="with --redrive: also users with a retirement request and no record",
        )

    def handle(self, *args, **options) -> None:
        user_ids = options["user_id"]
        if options["from_requests"] and not options["redrive"]:
            raise CommandError("--from-requests only works with --redrive")
        if options["redrive"]:
            for user_id in self._unrecorded(user_ids, options["from_requests"]):
                retirement.record(user_id)
        todo = ClickHouseRetirement.objects.exclude(state=ClickHouseRetirement.DONE)
        if user_ids:
            todo = todo.filter(user_id__in=user_ids)
        records = list(todo)
        if options["list"]:
            self._report(records)
            return
        failed = self._redrive(records)
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(records)} retirements could not be driven "
                f"(users {', '.join(map(str, failed))}); see --list for their errors"
            )

    @staticmethod
    def _unrecorded(user_ids: list[int] | None, from_requests: bool) -> list[int]:
        """Users to record before re-driving: those named, and with --from-requests the rest."""
        wanted = set(user_ids or [])
        if from_requests:
            requested = retired_users.retired_user_ids()
            if requested is None:
                raise CommandError("the UserRetirementRequest model cannot be imported here")
            wanted |= {row["user_id"] for row in requested}
        known = set(
            ClickHouseRetirement.objects.filter(user_id__in=wanted).values_list(
                "user_id", flat=True
            )
        )
        return sorted(wanted - known)

    def _report(self, records: list[ClickHouseRetirement]) -> None:
        if not records:
            self.stdout.write("No retirement is waiting: every recorded retirement is done.")
            return
        for item in records:
            error = item.last_error.splitlines()[0] if item.last_error else "-"
            self.stdout.write(
                f"user {item.user_id}: {item.state}, {item.attempts} attempt(s), "
                f"since {item.created:%Y-%m-%d %H:%M:%S}; last error: {error}"
            )
        counts = {state: sum(r.state == state for r in records) for state, _ in item.STATES}
        summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
        self.stdout.write(f"{len(records)} retirement(s) not done: {summary}")

    def _redrive(self, records: list[ClickHouseRetirement]) -> list[int]:
        if not records:
            self.stdout.write("Nothing to re-drive: every recorded retirement is done.")
            return []
        config = backend.backend_config()
        client = backend.get_client(config)
        failed = []
        try:
            for item in records:
                state = self._drive_one(client, config, item)
                if state is None:
                    failed.append(item.user_id)
                else:
                    self.stdout.write(f"user {item.user_id}: {state}")
        finally:
            client.close()
        return failed

    def _drive_one(self, client, config: dict, item: ClickHouseRetirement) -> str | None:
        """The new state, or None (error recorded and printed)."""
        retirement.mark_attempt(item.user_id)
        try:
            if item.state == ClickHouseRetirement.SUBMITTED:
                try:
                    return retirement.confirm(client, config, item.user_id)
                except retirement.RetirementIncomplete:
                    pass  # not finished, or failed on a replica: submit again
            return retirement.drive(client, config, item.user_id)
        except Exception as exc:  # noqa: BLE001 - recorded and reported, the loop goes on
            retirement.mark_failed(item.user_id, exc)
            self.stderr.write(f"user {item.user_id}: failed: {type(exc).__name__}: {exc}")
            return None
