"""The benchmark's synthetic data: sink rows as the sinks write them, statements that refer to them.

The statements' JSON shape is checked against real ERB statements in
tests/platform/xapi/test_synthetic_statement_shape.py (that tier has the LMS, ERB and Ralph).
"""
# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

import subprocess
import sys
from types import SimpleNamespace

import pytest
from aspects_platform.sinks.course_blocks import outline_numbers

from sandbox import xapi_synthetic
from sandbox.lms.paths import REPO_ROOT


def test_sink_tables_get_the_asked_sizes(synthetic):
    per_course = xapi_synthetic.BLOCKS_PER_COURSE
    assert synthetic.written == {
        "course_overviews": synthetic.sizes.courses,
        "course_blocks": synthetic.sizes.courses * per_course,
        "course_enrollment": synthetic.sizes.enrollments,
        "external_id": synthetic.sizes.learners,
        "user_profile": synthetic.sizes.learners,
    }
    assert synthetic.inserted == synthetic.sizes.events
    count = synthetic.client.command(f"SELECT count() FROM {synthetic.xapi}")
    assert count == synthetic.sizes.events


def test_outline_is_numbered_as_the_course_blocks_sink_numbers_it(synthetic):
    rows = synthetic.client.query(
        f"SELECT block_type, section, subsection, unit FROM {synthetic.sink}.course_blocks "
        "WHERE course_key = 'course-v1:SynthOrg1+C1+2026' ORDER BY `order`"
    ).result_rows
    parents = {"course": "", "chapter": "course", "sequential": "chapter", "vertical": "sequential"}
    outline = [
        (
            SimpleNamespace(location=SimpleNamespace(block_type=row[0])),
            parents.get(row[0], "vertical"),
        )
        for row in rows
    ]
    assert [tuple(row[1:]) for row in rows] == outline_numbers(outline)
    assert len(rows) == xapi_synthetic.BLOCKS_PER_COURSE


def test_every_statement_names_an_enrolled_learner_and_a_block_of_that_course(synthetic):
    sink, xapi = synthetic.sink, synthetic.xapi
    unmatched = synthetic.client.query(f"""
        WITH statements AS (
            SELECT event_id, emission_time,
                JSONExtractString(event, 'id') AS id,
                parseDateTime64BestEffort(JSONExtractString(event, 'timestamp'), 6) AS stamp,
                JSONExtractString(event, 'actor', 'account', 'name') AS actor,
                JSONExtractString(event, 'object', 'id') AS object_id,
                if(object_id LIKE '%/course/%', object_id,
                   JSONExtractString(event, 'context', 'contextActivities', 'parent', 1, 'id'))
                   AS course_iri,
                splitByString('/course/', course_iri)[2] AS course_key,
                if(object_id LIKE '%/xblock/%', splitByString('/xblock/', object_id)[2], '')
                    AS block
            FROM {xapi}
        )
        SELECT
            countIf(toString(event_id) != id OR emission_time != stamp),
            countIf((actor, course_key) NOT IN (
                SELECT toString(x.external_user_id), e.course_key
                FROM {sink}.course_enrollment AS e
                JOIN {sink}.external_id AS x ON x.user_id = e.user_id)),
            countIf(block != '' AND (course_key, block) NOT IN (
                SELECT course_key, location FROM {sink}.course_blocks)),
            countIf(course_key NOT IN (SELECT course_key FROM {sink}.course_overviews))
        FROM statements
    """).result_rows[0]
    assert unmatched == (0, 0, 0, 0)


def test_every_enrollment_has_its_registration_and_inactive_ones_an_unregistration(synthetic):
    counts = synthetic.client.query(f"""
        SELECT
            countIf(JSONExtractString(event, 'verb', 'id') LIKE '%/registered'),
            countIf(JSONExtractString(event, 'verb', 'id') LIKE '%/unregistered')
        FROM {synthetic.xapi}
    """).result_rows[0]
    inactive = synthetic.client.command(
        f"SELECT countIf(NOT is_active) FROM {synthetic.sink}.course_enrollment"
    )
    assert counts == (synthetic.sizes.enrollments, inactive)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"events": 0}, "events must be a positive integer, got 0"),
        ({"courses": 2}, "courses must be at least 3"),
    ],
)
def test_bad_sizes_are_refused_with_the_reason(sizes, message):
    with pytest.raises(ValueError, match=message):
        xapi_synthetic.Sizes(**sizes)


def test_the_benchmark_command_refuses_bad_sizes_before_starting_anything():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.dashboard_queries", "--learners", "-5"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "learners must be a positive integer, got -5" in result.stderr


def test_the_benchmark_refuses_a_data_dir_holding_other_data(tmp_path):
    (tmp_path / "built.txt").write_text("Sizes(events=5, learners=5, courses=5)")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.dashboard_queries", "--data-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"--data-dir {tmp_path} holds other data" in result.stderr
