"""``course_overviews``: one row per course publish; its blocks go to ``course_blocks`` first."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.sinks.base import Column, DumpRun, ModelSink, get_model
from aspects_platform.sinks.course_blocks import XBlockSink, published_branch
from aspects_platform.sinks.encoding import boolean, json_text, naive_utc, utc_datetime
from aspects_platform.sinks.tags import tag_ids_by_object

log = logging.getLogger(__name__)

#: EVENT_SINK_CLICKHOUSE_MODEL_CONFIG key of edx-platform's CustomCourseForEdX.
CCX_OBJECT_NAME = "custom_course_edx"

#: CourseOverview fields kept together in ``course_data_json``.
COURSE_DATA_FIELDS = (
    "advertised_start",
    "announcement",
    "lowest_passing_grade",
    "invitation_only",
    "max_student_enrollments_allowed",
    "effort",
    "enable_proctored_exams",
    "entrance_exam_enabled",
    "external_id",
    "language",
)


def course_data_json(*values: Any) -> str:
    """The COURSE_DATA_FIELDS of one course, then its ``tags`` (tag ids), as a JSON object."""
    data = dict(zip((*COURSE_DATA_FIELDS, "tags"), values, strict=True))
    if data["lowest_passing_grade"] is not None:
        data["lowest_passing_grade"] = float(data["lowest_passing_grade"])
    return json_text(data)  # announcement: a datetime, written as UTC text


def _as_datetime(value: datetime | str | None) -> datetime | None:
    """A datetime from the database (some return text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class CourseOverviewSink(ModelSink):
    """CourseOverview rows; each course's blocks are written before its overview row.

    The overview row is the "this course is dumped" marker: a run that dies between the two
    INSERTs leaves the course stale, so the next run without ``--force`` dumps it again.
    """

    object_name = "course_overviews"
    table = "course_overviews"
    pk_type = str
    columns = (
        Column("org"),
        Column("course_key", "id"),
        Column("display_name"),
        Column("course_start", "start", utc_datetime),
        Column("course_end", "end", utc_datetime),
        Column("enrollment_start", encode=utc_datetime),
        Column("enrollment_end", encode=utc_datetime),
        Column("self_paced", encode=boolean),
        Column("course_data_json", COURSE_DATA_FIELDS, course_data_json),
        Column("created", encode=utc_datetime),
        Column("modified", encode=utc_datetime),
    )
    blocks = XBlockSink()

    def __init__(self) -> None:
        super().__init__()
        # course_data_json also reads the course's tag ids, which prepare() appends to each row
        # (the primary key is among the lookups, so a fetched row has exactly len(lookups)).
        index = [column.name for column in self.columns].index("course_data_json")
        positions, encode = self._plan[index]
        self._plan[index] = ((*positions, len(self.lookups)), encode)

    def parse_pk(self, value: Any) -> Any:
        """A course key string as a CourseKey (when opaque-keys is installed)."""
        try:
            from opaque_keys.edx.keys import CourseKey
        except ImportError:
            return str(value)
        return value if isinstance(value, CourseKey) else CourseKey.from_string(str(value))

    def refresh_overview(self, course_key: Any) -> bool:
        """Rebuild the course's overview from the published course now; False if it is gone.

        The platform refreshes CourseOverview in a sibling COURSE_PUBLISHED receiver
        (course_overviews/signals.py), which may run before or after ours, and
        ``get_from_id`` answers from the request cache or the stored row without looking at
        the modulestore. ``load_from_module_store`` always reads the course and saves the
        overview, so the row dumped next is the course as published, never the previous one.
        """
        model = self.model()
        load = getattr(model, "load_from_module_store", None)
        if load is None:
            return model._default_manager.filter(pk=course_key).exists()
        from xmodule.modulestore.django import modulestore

        with published_branch(modulestore(), course_key):
            try:
                load(course_key)
            except model.DoesNotExist:
                return False
        return True

    def ccx_keys(self, course_key: Any) -> list:
        """Course keys of the master course's CCX courses (none while CCX is off)."""
        if not getattr(settings, "FEATURES", {}).get("CUSTOM_COURSES_EDX"):
            return []
        try:
            model = get_model(CCX_OBJECT_NAME)
        except ImproperlyConfigured:
            log.warning("CUSTOM_COURSES_EDX is on but CCX courses cannot be read", exc_info=True)
            return []
        return [ccx.locator for ccx in model._default_manager.filter(course_id=course_key)]

    def prepare(self, raw_rows: Sequence[Sequence[Any]], run: DumpRun) -> list[tuple]:
        """Each overview row, with its course's tag ids appended, and its block rows.

        The tags of the course and its blocks (one query) and the blocks are read now, each
        course's versioned just before (``run.read_now()``), so a later read always wins.
        """
        prepared = []
        for raw in raw_rows:
            key = self.parse_pk(self.pk_of(raw))
            course_run = run.read_now()
            tags = tag_ids_by_object(key)
            blocks = self.blocks.rows(key, course_run, tags)
            prepared.append(((*raw, tags.get(str(key), [])), blocks))
        return prepared

    def write(self, client, database: str, prepared: list[tuple], run: DumpRun) -> int:
        """Write each course's blocks (one INSERT per course), then the overview rows."""
        database_id = quote_identifier(database, "database")
        blocks_table = f"{database_id}.{quote_identifier(self.blocks.table, 'table')}"
        for raw, block_rows in prepared:
            self.blocks.insert(client, blocks_table, self.pk_of(raw), block_rows)
        return super().write(client, database, [raw for raw, _ in prepared], run)

    def dumped_modified(self, client, database: str, keys: Sequence[str] | None = None) -> dict:
        """``max(modified)`` already in ClickHouse per course key: ONE query for all courses."""
        sql = f"SELECT course_key, max(modified) FROM {self.qualified_table(database)}"  # noqa: S608
        parameters: dict[str, Any] = {}
        if keys is not None:
            sql += " WHERE course_key IN {keys:Array(String)}"
            parameters["keys"] = [str(k) for k in keys]
        sql += " GROUP BY course_key"
        result = client.query(sql, parameters=parameters)
        return {key: naive_utc(modified) for key, modified in result.result_rows}

    def changed_filter(self, dumped: dict):
        """A predicate on raw rows: True when the course changed since its last dump."""
        modified_index = self.lookups.index("modified")
        key_index = self.resolve_pk_index(self.model())

        def changed(raw: Sequence[Any]) -> bool:
            return _is_stale(str(raw[key_index]), raw[modified_index], dumped)

        return changed

    def stale_count(self, queryset, dumped: dict) -> int:
        """How many courses of ``queryset`` changed since their last dump (reads pk, modified)."""
        return sum(
            _is_stale(str(key), modified, dumped)
            for key, modified in queryset.values_list("pk", "modified").iterator()
        )


def _is_stale(key: str, modified: datetime | str | None, dumped: dict) -> bool:
    """True when the course was never dumped or was modified after its last dump."""
    if key not in dumped:
        return True
    last = dumped[key]
    current = naive_utc(_as_datetime(modified))
    return current is not None and (last is None or last < current)
