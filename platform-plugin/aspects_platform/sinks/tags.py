"""``taxonomy``, ``tag`` and ``object_tag``: openedx-learning's tagging models.

Each saved row is written whole; a deleted row is written again as a tombstone
(``is_deleted = 1``, the key and the run columns only), which ``FINAL`` leaves out.
``tag_ids_by_object`` gives the tag ids (with their ancestors) applied to the objects of a
course, for the ``tags`` key of ``course_data_json`` and ``xblock_data_json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from aspects_platform.sinks.base import RUN_COLUMNS, Column, DumpRun, ModelSink, get_model
from aspects_platform.sinks.encoding import json_text

#: Tag lookups from a tag up to its root (openedx-learning allows 3 levels under the root).
ANCESTRY = ("", "parent__", "parent__parent__", "parent__parent__parent__")


def _live(_pk: Any) -> int:
    """``is_deleted`` of a row read from the LMS."""
    return 0


def _lineage(*values: str | None) -> str:
    """JSON list of tag values, root first, from (tag value, parent value, ...)."""
    return json_text([value for value in reversed(values) if value is not None])


def _object_tag_lineage(tag_id: int | None, cached_value: str, *values: str | None) -> str:
    """ObjectTag.get_lineage(): the tag's lineage, or ``[_value]`` when it has no tag."""
    return _lineage(*values) if tag_id is not None else json_text([cached_value])


class TombstoneSink(ModelSink):
    """A sink whose deleted rows are written once more with ``is_deleted = 1``."""

    def write_deleted(self, client, database: str, pks: Iterable[Any]) -> int:
        """One tombstone per primary key; returns how many were written."""
        pks = list(pks)
        if pks:
            run = DumpRun.start()
            rows = [[pk, 1, run.dump_id, run.time_last_dumped] for pk in pks]
            client.insert(
                self.qualified_table(database),
                rows,
                column_names=["id", "is_deleted", *RUN_COLUMNS],
            )
        return len(pks)


class TaxonomySink(TombstoneSink):
    """Taxonomy rows (id, name)."""

    object_name = "taxonomy"
    table = "taxonomy"
    columns = (Column("id"), Column("name"), Column("is_deleted", "id", _live))


class TagSink(TombstoneSink):
    """Tag rows with their taxonomy, parent and lineage."""

    object_name = "tag"
    table = "tag"
    columns = (
        Column("id"),
        Column("taxonomy", "taxonomy_id"),
        Column("parent", "parent_id"),
        Column("value"),
        Column("external_id"),
        Column("lineage", tuple(f"{path}value" for path in ANCESTRY), _lineage),
        Column("is_deleted", "id", _live),
    )


class ObjectTagSink(TombstoneSink):
    """ObjectTag rows: which tag (or free-text value) an object carries."""

    object_name = "object_tag"
    table = "object_tag"
    columns = (
        Column("id"),
        Column("object_id"),
        Column("taxonomy", "taxonomy_id"),
        Column("tag", "tag_id"),
        Column("_value"),
        Column("_export_id"),
        Column(
            "lineage",
            ("tag_id", "_value", *(f"tag__{path}value" for path in ANCESTRY)),
            _object_tag_lineage,
        ),
        Column("is_deleted", "id", _live),
    )


def course_object_filter(course_key) -> Q:
    """ObjectTags of the course itself and of its blocks (``block-v1:`` ids of the course)."""
    key = str(course_key)
    prefix = key.replace("course-v1:", "block-v1:", 1) + "+"
    return Q(object_id=key) | Q(object_id__startswith=prefix)


def tag_ids_by_object(course_key) -> dict[str, list[int]]:
    """object id -> sorted ids of its tags and their ancestors, for a course and its blocks.

    The tags ``openedx.core.djangoapps.content_tagging.api.get_object_tags`` returns (no
    disabled or deleted taxonomy, no deleted tag; free-text values have no tag id), read in
    one query. Empty when the tagging models are not installed.
    """
    try:
        model = get_model(ObjectTagSink.object_name)
    except ImproperlyConfigured:
        return {}
    ancestry = [f"tag__{path}id" for path in ANCESTRY]
    rows = (
        model._default_manager.filter(course_object_filter(course_key))
        .filter(taxonomy__isnull=False, taxonomy__enabled=True, tag__isnull=False)
        .values_list("object_id", *ancestry)
    )
    found: dict[str, set[int]] = {}
    for object_id, *ids in rows:
        found.setdefault(object_id, set()).update(i for i in ids if i is not None)
    return {object_id: sorted(ids) for object_id, ids in found.items()}
