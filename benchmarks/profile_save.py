"""What the ``user_profile`` "did anything exported change?" check adds to a profile save.

edx-platform saves the profile on every login and logout (``set_login_session``); the app's
pre_save receiver reads the stored row's exported fields (one primary-key query) and skips the
ClickHouse write when only the session key in ``meta`` changed. This times login-style saves
on a fresh sandbox SQLite file (``.sandbox/bench/profile_save.sqlite3``) without the app's
receivers, and the check alone, in autocommit and inside a transaction (as ATOMIC_REQUESTS
runs a request). Then the same saves run with the app connected (sink on): none may enqueue a
write, or the run fails. No ClickHouse is needed.

    python -m benchmarks.profile_save [--saves 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from benchmarks._sandbox_django import setup_sandbox_django
from sandbox.lms.paths import add_to_sys_path


def setup_django() -> None:
    """Sandbox settings on a fresh SQLite file, the user_profile sink on, Celery eager."""
    setup_sandbox_django("profile_save.sqlite3", sinks_enabled=True)


def per_call_us(action, calls: int, atomic: bool) -> float:
    """Microseconds per ``action(i)``, each in its own transaction when ``atomic``."""
    from django.db import transaction

    started = time.perf_counter()
    for i in range(calls):
        if atomic:
            with transaction.atomic():
                action(i)
        else:
            action(i)
    return (time.perf_counter() - started) / calls * 1e6


def median_us(action, calls: int, repeat: int, atomic: bool) -> float:
    """Median of ``repeat`` runs of ``per_call_us``."""
    return statistics.median(per_call_us(action, calls, atomic) for _ in range(repeat))


def profile_receivers(connect: bool) -> None:
    """Connect or disconnect the app's UserProfile pre_save/post_save receivers."""
    from aspects_platform import signals
    from common.djangoapps.student.models import UserProfile
    from django.db.models.signals import post_save, pre_save

    for signal, receiver in (
        (pre_save, signals.on_user_profile_pre_save),
        (post_save, signals.on_user_profile_saved),
    ):
        uid = signals.dispatch_uid(receiver)
        if connect:
            signal.connect(receiver, sender=UserProfile, dispatch_uid=uid)
        else:
            signal.disconnect(sender=UserProfile, dispatch_uid=uid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.saves < 1 or args.repeat < 1:
        parser.error("--saves and --repeat must be 1 or more")

    add_to_sys_path()
    setup_django()
    from celery.signals import task_prerun
    from common.djangoapps.student.models import UserProfile
    from django.contrib.auth.models import User

    tasks_run: list[str] = []
    task_prerun.connect(lambda sender=None, **_: tasks_run.append(sender.name), weak=False)
    profile_receivers(False)  # the creation would be written: not part of the measure
    user = User.objects.create(username="bench", email="bench@example.invalid")
    profile = UserProfile.objects.create(user=user, name="Bench Learner", meta='{"company": "X"}')

    from aspects_platform.signals import on_user_profile_pre_save

    keys = [uuid.uuid4().hex for _ in range(args.saves)]

    def login_save(i: int) -> None:
        profile.set_login_session(keys[i])

    def check(i: int) -> None:
        on_user_profile_pre_save(UserProfile, instance=profile, using="default")

    print(f"login-style profile saves on SQLite, {args.saves} per run, median of {args.repeat}:")
    for atomic in (False, True):
        where = "in a transaction" if atomic else "autocommit"
        profile_receivers(False)
        alone = median_us(login_save, args.saves, args.repeat, atomic)
        checked = median_us(check, args.saves, args.repeat, atomic)
        print(
            f"  {where}: a save without the app {alone:.0f} us; the app's check (pre_save: one "
            f"primary-key SELECT + compare) {checked:.0f} us = {checked / alone:.1%} of it"
        )
    profile_receivers(True)
    for i in range(args.saves):  # the app connected: none of these may enqueue a write
        login_save(i)
    if tasks_run:
        raise SystemExit(f"a login-style save enqueued a write: {tasks_run[:3]}")
    print("  ClickHouse writes enqueued by these saves: 0 (each would be a task + an INSERT)")


if __name__ == "__main__":
    main()
