"""Checks of what the LMS sends: sinks and PII, counts per object, outlines, retirements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings

from aspects_platform import toggles
from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.doctor.context import DoctorContext
from aspects_platform.doctor.findings import (
    ERROR,
    NOT_CONFIGURED,
    OK,
    WARNING,
    Finding,
    check,
    one_line,
)
from aspects_platform.sinks import MODEL_SINKS, UserRetirementSink
from aspects_platform.sinks.base import pii_enabled
from aspects_platform.sinks.encoding import naive_utc

#: A publish this recent may still be waiting for its delayed dump (plus clock differences).
OUTLINE_GRACE_SECS = 60.0
#: Course keys named in a message or a command.
SHOWN_KEYS = 5


def _dump_command(object_name: str, force: bool = False, ids: tuple[str, ...] = ()) -> str:
    """The Tutor command (and the in-platform one) that writes ``object_name`` again."""
    service = "cms" if object_name == "course_overviews" else "lms"
    force_flag = " --force" if force else ""
    tutor = f"tutor local do dump-data-to-clickhouse --object {object_name}{force_flag}"
    manage = f"./manage.py {service} dump_data_to_clickhouse --object {object_name}{force_flag}"
    if ids:
        tutor += f" --ids {','.join(ids)}"
        manage += f" --ids {' '.join(ids)}"
    return f"{tutor} (in the {service.upper()}: {manage})"


def _switch_source(name: str) -> str:
    """Why a switch is on: the setting, the waffle flag, or both."""
    sources = []
    if getattr(settings, toggles.setting_name(name), False):
        sources.append("setting")
    if apps.is_installed("waffle") and toggles.waffle_flag(name).is_enabled():
        sources.append("waffle flag")
    return " and ".join(sources)


@check("sinks")
def sinks(ctx: DoctorContext) -> Iterator[Finding]:
    """Which sinks are on (and through what), and whether PII is on."""
    on, off, blocked = [], [], []
    for name, sink in MODEL_SINKS.items():
        source = _switch_source(name)
        if sink.is_pii() and not pii_enabled():
            (blocked if source else off).append(name)
        elif source:
            on.append(f"{name} ({source})")
        else:
            off.append(name)
    retirement = UserRetirementSink.object_name
    if UserRetirementSink.is_enabled():
        why = _switch_source(retirement) or "a PII sink is switched on"
        on.append(f"{retirement} (retirement: {why})")
    else:
        off.append(f"{retirement} (retirement)")
    parts = [f"on: {', '.join(on) or 'none'}"]
    if off:
        parts.append(f"off: {', '.join(off)}")
    if blocked:
        parts.append(f"switched on but blocked by PII off: {', '.join(blocked)}")
    enable = toggles.how_to_enable("<object>")
    if on:
        yield Finding("sinks", OK, "; ".join(parts))
    else:
        yield Finding("sinks", WARNING, "; ".join(parts) + ": nothing reaches ClickHouse", enable)
    pii_models = ", ".join(getattr(settings, "EVENT_SINK_CLICKHOUSE_PII_MODELS", []))
    if pii_enabled():
        yield Finding("pii", OK, f"PII on (EVENT_SINK_CLICKHOUSE_PII_ENABLED): {pii_models}")
    else:
        yield Finding(
            "pii", OK, f"PII off (EVENT_SINK_CLICKHOUSE_PII_ENABLED): {pii_models} not written"
        )


def _clickhouse_count(ctx: DoctorContext, sink) -> int:
    """Distinct keys in ClickHouse: FINAL collapses each key's versions into one row."""
    table = sink.qualified_table(ctx.config["database"])
    return int(ctx.client().query(f"SELECT count() FROM {table} FINAL").result_rows[0][0])  # noqa: S608


@check("counts")
def counts(ctx: DoctorContext) -> Iterator[Finding]:
    """LMS objects vs ClickHouse rows (distinct keys) per dump object."""
    for name, sink_class in MODEL_SINKS.items():
        label = f"counts.{name}"
        sink = sink_class()
        try:
            lms = sink.queryset().count()
        except Exception as exc:  # noqa: BLE001 - one object's model cannot stop the others
            yield Finding(
                label,
                ERROR,
                f"cannot count in the LMS: {one_line(exc)}",
                "fix EVENT_SINK_CLICKHOUSE_MODEL_CONFIG",
            )
            continue
        dumped = _clickhouse_count(ctx, sink)
        found = f"LMS {lms:,}, ClickHouse {dumped:,}"
        if not sink_class.is_enabled():
            yield Finding(label, NOT_CONFIGURED, f"sink off; {found}")
        elif lms == dumped:
            yield Finding(label, OK, found)
        elif lms > dumped:
            yield Finding(
                label,
                WARNING,
                f"{found}: {lms - dumped:,} missing in ClickHouse",
                _dump_command(name),
            )
        else:
            yield Finding(
                label,
                WARNING,
                f"{found}: {dumped - lms:,} more in ClickHouse (objects deleted in the LMS "
                "keep their rows)",
            )


def _last_dumped_outlines(ctx: DoctorContext) -> dict[str, datetime | None]:
    database = quote_identifier(ctx.config["database"], "database")
    rows = (
        ctx.client()
        .query(
            f"SELECT course_key, max(time_last_dumped) FROM {database}.course_blocks "  # noqa: S608
            "GROUP BY course_key"
        )
        .result_rows
    )
    return {key: naive_utc(last) for key, last in rows}


@check("outlines")
def outlines(ctx: DoctorContext) -> Iterator[Finding]:
    """Courses published after their outline was last written to course_blocks."""
    sink_class = MODEL_SINKS["course_overviews"]
    if not sink_class.is_enabled():
        yield Finding("outlines", NOT_CONFIGURED, "course_overviews sink off")
        return
    dumped = _last_dumped_outlines(ctx)
    delay = float(getattr(settings, "EVENT_SINK_CLICKHOUSE_COURSE_PUBLISH_DELAY_SECS", 30.0))
    settled = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=delay + OUTLINE_GRACE_SECS)
    courses = sink_class().model()._default_manager.order_by("id").values_list("id", "modified")
    stale, total = [], 0
    for key, modified in courses.iterator():
        total += 1
        modified = naive_utc(modified)
        last = dumped.get(str(key))
        if modified is not None and modified > settled:
            continue  # its delayed dump may not have run yet
        if last is None or (modified is not None and modified > last):
            stale.append(str(key))
    if not stale:
        yield Finding("outlines", OK, f"{total:,} courses: every outline as last published")
        return
    shown = ", ".join(stale[:SHOWN_KEYS]) + (", …" if len(stale) > SHOWN_KEYS else "")
    action = (
        _dump_command("course_overviews", force=True, ids=tuple(stale))
        if len(stale) <= SHOWN_KEYS
        else _dump_command("course_overviews")
    )
    yield Finding(
        "outlines",
        WARNING,
        f"{len(stale):,} of {total:,} courses published after their outline was last "
        f"written (or never written): {shown}",
        action,
    )


@check("retirements")
def retirements(ctx: DoctorContext) -> Iterator[Finding]:
    """ClickHouse retirements not done; older than the confirmation delay is an error."""
    from aspects_platform.models import ClickHouseRetirement

    waiting = ClickHouseRetirement.objects.exclude(state=ClickHouseRetirement.DONE)
    count = waiting.count()
    if not count:
        yield Finding("retirements", OK, "no retirement waiting")
        return
    limit = float(getattr(settings, "EVENT_SINK_CLICKHOUSE_RETIREMENT_CONFIRM_SECS", 300.0))
    overdue = waiting.filter(created__lt=datetime.now(UTC) - timedelta(seconds=limit)).count()
    action = (
        "tutor local run lms ./manage.py lms retire_users_from_clickhouse --redrive "
        "(--list shows each one and its last error)"
    )
    if overdue:
        yield Finding(
            "retirements",
            ERROR,
            f"{count} retirement(s) not done, {overdue} older than {limit:g} s "
            "(EVENT_SINK_CLICKHOUSE_RETIREMENT_CONFIRM_SECS)",
            action,
        )
    else:
        yield Finding(
            "retirements", WARNING, f"{count} retirement(s) in progress (under {limit:g} s)", action
        )
