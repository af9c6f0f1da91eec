"""The sinks, and the ``--object`` names of those the dump command can write."""

from aspects_platform.sinks.base import Column, DumpRun, ModelSink, get_model
from aspects_platform.sinks.course_blocks import XBlockSink
from aspects_platform.sinks.course_enrollment import CourseEnrollmentSink
from aspects_platform.sinks.course_overviews import CourseOverviewSink
from aspects_platform.sinks.external_id import ExternalIdSink
from aspects_platform.sinks.tags import ObjectTagSink, TagSink, TaxonomySink, TombstoneSink
from aspects_platform.sinks.user_profile import UserProfileSink
from aspects_platform.sinks.user_retirement import UserRetirementSink

#: ``--object`` name -> sink class.
MODEL_SINKS: dict[str, type[ModelSink]] = {
    sink.object_name: sink
    for sink in (
        CourseOverviewSink,
        UserProfileSink,
        ExternalIdSink,
        CourseEnrollmentSink,
        TaxonomySink,
        TagSink,
        ObjectTagSink,
    )
}


def sink_for(object_name: str) -> ModelSink:
    """A new sink for ``object_name``; ValueError naming the valid choices otherwise."""
    try:
        return MODEL_SINKS[object_name]()
    except KeyError:
        choices = ", ".join(sorted(MODEL_SINKS))
        raise ValueError(f"unknown object {object_name!r}; choose one of: {choices}") from None


__all__ = [
    "MODEL_SINKS",
    "Column",
    "CourseEnrollmentSink",
    "CourseOverviewSink",
    "DumpRun",
    "ExternalIdSink",
    "ModelSink",
    "ObjectTagSink",
    "TagSink",
    "TaxonomySink",
    "TombstoneSink",
    "UserProfileSink",
    "UserRetirementSink",
    "XBlockSink",
    "get_model",
    "sink_for",
]
