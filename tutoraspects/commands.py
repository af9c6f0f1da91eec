"""`tutor [local|dev|k8s] do …` jobs of the Aspects plugin.

Each job is a click command that validates its flags on the host, then only yields
``(service, script)`` pairs: Tutor renders each script and runs it in ``<service>-job``.
Nothing starts before validation passes, so a bad flag never reaches a container.

Tutor renders every script with Jinja before running it, so user values are quoted twice over:
for the shell (``shlex.quote``) and for Jinja (no ``{`` may start a tag), see ``quote``.
"""

from __future__ import annotations

import math
import shlex
import typing as t

import click

from . import config
from .xapi_settings import LOAD_TEST_OUTPUT_DIR, PIPELINES

#: Objects keyed by an integer id (the in-platform sinks' ``pk_type``); course_overviews is keyed
#: by the course key string.
INTEGER_KEYED_OBJECTS = (
    "user_profile",
    "external_id",
    "course_enrollment",
    "taxonomy",
    "tag",
    "object_tag",
)
DUMP_OBJECTS = ("course_overviews", *INTEGER_KEYED_OBJECTS)
LOAD_TEST_BACKENDS = PIPELINES
LOAD_TEST_FOLDER = LOAD_TEST_OUTPUT_DIR.rsplit("/", 1)[1]
OPENEDX_SERVICES = ("cms", "lms")
#: The migration runner's flag converting an established install's tables (init-clickhouse).
ADOPT_ESTABLISHED = "--adopt-established"
#: Output formats of the in-platform ``aspects_doctor`` command.
DOCTOR_FORMATS = ("text", "json")

Job = t.Iterator[tuple[str, str]]


def quote(value: str) -> str:
    """Quote one value for ``sh`` so that Tutor's Jinja rendering leaves it untouched.

    Every ``{`` is emitted as ``"{"`` between shell-quoted pieces, so no ``{{``, ``{%`` or ``{#``
    can reach Jinja, while ``sh`` still joins the pieces back into the original value.
    """
    if "{" not in value:
        return shlex.quote(value)
    pieces = value.split("{")
    return '"{"'.join(shlex.quote(piece) if piece else "" for piece in pieces)


def _finite_non_negative(
    _ctx: click.Context, param: click.Parameter, value: float | None
) -> float | None:
    """Refuse ``nan`` and ``inf``, which click's FloatRange lets through."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number of seconds (x>=0).", param=param)
    return value


def _check_list_value(value: str, param: click.Parameter) -> str:
    """Refuse values the in-platform command would misread: empty, or looking like a flag."""
    if not value:
        raise click.BadParameter("empty value.", param=param)
    if value.startswith("-"):
        raise click.BadParameter(f"{value!r} would be read as a flag: no leading '-'.", param=param)
    return value


def _check_start_pk(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _check_list_value(value, param)


def _start_pk_for(object_name: str, start_pk: str) -> str:
    """Refuse a non-integer resume point for the integer-keyed objects."""
    if object_name in INTEGER_KEYED_OBJECTS and not (start_pk.isascii() and start_pk.isdigit()):
        raise click.BadParameter(
            f"{start_pk!r} is not a valid {object_name} key: it is keyed by an integer id "
            "(x>=0); only course_overviews takes a course key.",
            param_hint="'--start-pk'",
        )
    return start_pk


def _split_ids(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    """Flatten repeated and comma-separated ids."""
    return [_check_list_value(item.strip(), param) for value in values for item in value.split(",")]


def _check_tags(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    return [_check_list_value(value, param) for value in values]


def _sleep_time_option(help_text: str) -> t.Callable[[t.Callable[..., t.Any]], t.Any]:
    return click.option(
        "--sleep-time",
        type=click.FloatRange(min=0),
        callback=_finite_non_negative,
        help=help_text,
    )


def _service_option(
    help_text: str, default: str = "cms"
) -> t.Callable[[t.Callable[..., t.Any]], t.Any]:
    return click.option(
        "--service",
        type=click.Choice(OPENEDX_SERVICES),
        default=default,
        show_default=True,
        help=help_text,
    )


def _ids_option(name: str, help_text: str) -> t.Callable[[t.Callable[..., t.Any]], t.Any]:
    return click.option(
        name,
        multiple=True,
        metavar="ID[,ID…]",
        callback=_split_ids,
        help=f"{help_text} Repeat the flag and/or separate ids with commas.",
    )


@click.command(name="dump-data-to-clickhouse")
@click.option(
    "--object",
    "object_name",
    type=click.Choice(DUMP_OBJECTS),
    required=True,
    help="Which objects to dump.",
)
@click.option(
    "--force",
    is_flag=True,
    help="course_overviews only: dump every selected course, not only those modified since "
    "their last dump (no effect on other objects).",
)
@click.option("--batch-size", type=click.IntRange(min=1), help="Objects per batch.")
@_sleep_time_option("Seconds to pause between batches.")
@_ids_option("--ids", "Only dump these primary keys.")
@_ids_option("--ids-to-skip", "Never dump these primary keys.")
@click.option(
    "--start-pk",
    metavar="PK",
    callback=_check_start_pk,
    help="Only dump primary keys above PK (resume point): an integer id, or a course key for "
    "course_overviews.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Dump at most N objects.")
@click.option("--dry-run", is_flag=True, help="Count what would be dumped; write nothing.")
@_service_option("Which Open edX service runs the dump.")
def dump_data_to_clickhouse(
    object_name: str,
    force: bool,
    batch_size: int | None,
    sleep_time: float | None,
    ids: list[str],
    ids_to_skip: list[str],
    start_pk: str | None,
    limit: int | None,
    dry_run: bool,
    service: str,
) -> Job:
    """Bulk-dump Open edX objects into ClickHouse (backfill).

    Runs `./manage.py <service> dump_data_to_clickhouse` in the service's job container, passing
    only the flags given here. Example:

    \b
    tutor local do dump-data-to-clickhouse --object user_profile \\
        --batch-size 1000 --sleep-time 5
    """
    if start_pk is not None:
        start_pk = _start_pk_for(object_name, start_pk)
    args = ["./manage.py", service, "dump_data_to_clickhouse", "--object", object_name]
    if force:
        args.append("--force")
    if batch_size is not None:
        args += ["--batch_size", str(batch_size)]
    if sleep_time is not None:
        args += ["--sleep_time", str(sleep_time)]
    if ids:
        args += ["--ids", *ids]
    if ids_to_skip:
        args += ["--ids_to_skip", *ids_to_skip]
    if start_pk is not None:
        args += ["--start_pk", start_pk]
    if limit is not None:
        args += ["--limit", str(limit)]
    if dry_run:
        args.append("--dry-run")
    yield service, _join(args)


@click.command(name="load-test")
@click.option("--num-users", type=click.IntRange(min=1), help="Learners to create.")
@click.option("--num-events", type=click.IntRange(min=1), help="Events to send.")
@_sleep_time_option("Seconds to pause between events.")
@click.option(
    "--tags",
    multiple=True,
    callback=_check_tags,
    help="Label stored with the run; repeat for several.",
)
@click.option(
    "--backend",
    type=click.Choice(LOAD_TEST_BACKENDS),
    default="celery",
    show_default=True,
    help="Event pipeline whose lag the monitor measures.",
)
@_service_option("Which Open edX service runs the load test.")
def load_test(
    num_users: int | None,
    num_events: int | None,
    sleep_time: float | None,
    tags: list[str],
    backend: str,
    service: str,
) -> Job:
    """Send test tracking events and monitor the pipeline while they flow.

    Starts `monitor_load_test_tracking` in the background, runs `load_test_tracking_events`,
    then waits for the monitor (or stops it if the generator failed). Not for production.
    """
    monitor = ["./manage.py", service, "monitor_load_test_tracking", "--backend", backend]
    generator = ["./manage.py", service, "load_test_tracking_events"]
    if num_users is not None:
        generator += ["--num_users", str(num_users)]
    if num_events is not None:
        generator += ["--num_events", str(num_events)]
    if sleep_time is not None:
        generator += ["--sleep_time", str(sleep_time)]
    if tags:
        generator += ["--tags", *tags]
    files = f"$(tutor config printroot)/data/{service}-job/{LOAD_TEST_FOLDER}"
    done = f"echo {quote(f'Report files (CSV, PNG) on the host: {files}/')}"
    yield service, _monitored_script(_join(monitor), _join(generator), done)


@click.command(name="aspects-doctor")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(DOCTOR_FORMATS),
    default="text",
    show_default=True,
    help="text: one line per check; json: a list of {check, status, message, action}.",
)
@_service_option("Which Open edX service runs the checks.", default="lms")
def aspects_doctor(output_format: str, service: str) -> Job:
    """Check ClickHouse, its grants and tables, the sinks, the data, Ralph and Superset.

    Runs `./manage.py <service> aspects_doctor` in the service's job container: one line per
    check (ok, warning, error, not configured; and what to do). Exits non-zero on any error.
    """
    yield service, _join(["./manage.py", service, "aspects_doctor", "--format", output_format])


def _join(args: list[str]) -> str:
    return " ".join(quote(arg) for arg in args)


def _monitored_script(monitor: str, generator: str, done: str = "true") -> str:
    """Run ``monitor`` in the background while ``generator`` runs; fail if either fails.

    The monitor prints the report when the run drained; ``done`` runs after it succeeded.
    """
    return "\n".join(
        [
            f"{monitor} &",
            "monitor_pid=$!",
            f"if {generator}; then",
            f'  wait "$monitor_pid" && {done}',
            "else",
            "  status=$?",
            '  kill "$monitor_pid" 2>/dev/null || true',
            '  wait "$monitor_pid" 2>/dev/null || true',
            '  exit "$status"',
            "fi",
        ]
    )


def _init_task(name: str) -> Job:
    """Yield the `do init` task ``name`` again: same service, same script template."""
    service, template = config.INIT_TASKS[name]
    yield service, config.task_script(template)


@click.command(name="init-clickhouse")
@click.option(
    ADOPT_ESTABLISHED,
    is_flag=True,
    help="Convert the tables of an established Aspects install (same names, other schema) "
    "to ours, keeping each original as <table>_established_backup "
    "(docs/migrating-from-established-aspects.md).",
)
def init_clickhouse(adopt_established: bool) -> Job:
    """Re-run the ClickHouse init: wait for the server; databases, users, grants, migrations."""
    if not adopt_established:
        yield from _init_task("clickhouse")
        return
    # The init script adds the flag to the migration command when this variable is set.
    for service, script in _init_task("clickhouse"):
        yield service, "{% set aspects_adopt_established = true %}" + script


@click.command(name="import-superset-assets")
def import_superset_assets() -> Job:
    """Re-run the Superset init step that imports roles and dashboard assets."""
    yield from _init_task("superset")


DO_COMMANDS: list[click.Command] = [
    dump_data_to_clickhouse,
    load_test,
    init_clickhouse,
    import_superset_assets,
    aspects_doctor,
]
