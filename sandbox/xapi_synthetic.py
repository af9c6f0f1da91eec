"""Synthetic course data for benchmarks: xAPI statements and the sink rows they refer to.

Everything is generated inside ClickHouse (``INSERT ... SELECT`` from ``numbers()``), so ten
million statements take minutes, not hours. The statements have the shape
edx-event-routing-backends 9.x gives them and Ralph stores them (``id``, ``timestamp``,
``stored``, ``authority`` added), checked against real ones by
``tests/platform/xapi/test_synthetic_statement_shape.py``. Kinds: enrollment
(registered/unregistered with the mode), navigation (``edx.ui.lms.sequence.next_selected``),
``problem_check`` (score, success, attempts), video load/play/pause/stop/complete (times,
length), course grade
(``edx.grades.course.grade_calculated``) and ``edx.course.grade.passed.first_time``.

The sink rows match (``course_overviews``, ``course_blocks``, ``course_enrollment``,
``external_id``, ``user_profile``): every statement names an enrolled learner by their xAPI
external id, and a block of that course's outline. Same sizes, same data (no randomness).
"""
# ruff: noqa: S608 - SQL text from this module's constants; every size is a bound parameter

from __future__ import annotations

from dataclasses import dataclass

from aspects_platform.clickhouse.identifiers import quote_identifier
from aspects_platform.clickhouse.schema import SchemaSettings

LMS_ROOT_URL = "http://localhost:8000"
ERB_VERSION = "event-routing-backends@9.3.8"
ORGS = 5
SECTIONS, SUBSECTIONS, UNITS = 4, 3, 3
#: Leaf blocks of every unit, in outline order.
LEAVES = ("html", "problem", "video")
UNITS_PER_COURSE = SECTIONS * SUBSECTIONS * UNITS
#: Blocks one course has: course, chapters, sequentials, verticals and their leaves.
BLOCKS_PER_COURSE = 1 + SECTIONS * (1 + SUBSECTIONS * (1 + UNITS * (1 + len(LEAVES))))
ENROLLMENTS_PER_LEARNER = 3
#: Enrollment dates spread over 60 days from this, activity over the 120 days after.
START = "2026-03-01 00:00:00"
ENROLL_DAYS, ACTIVE_DAYS = 60, 120
PASSING_GRADE = 0.5

VERBS = {
    "registered": "http://adlnet.gov/expapi/verbs/registered",
    "unregistered": "http://id.tincanapi.com/verb/unregistered",
    "navigated": "https://w3id.org/xapi/dod-isd/verbs/navigated",
    "evaluated": "https://w3id.org/xapi/acrossx/verbs/evaluated",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "played": "https://w3id.org/xapi/video/verbs/played",
    "paused": "https://w3id.org/xapi/video/verbs/paused",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "earned": "http://id.tincanapi.com/verb/earned",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
}
#: Activity statements after the enrollment's first rounds: (verb, cumulative percent).
ACTIVITY_MIX = (
    ("navigated", 30),
    ("evaluated", 55),
    ("initialized", 63),
    ("played", 78),
    ("paused", 88),
    ("terminated", 93),
    ("completed", 100),
)


@dataclass(frozen=True)
class Sizes:
    """How much to generate; ``events`` xAPI statements over ``learners`` and ``courses``."""

    events: int = 10_000_000
    learners: int = 10_000
    courses: int = 50

    def __post_init__(self) -> None:
        for name in ("events", "learners", "courses"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.courses < ENROLLMENTS_PER_LEARNER:
            raise ValueError(
                f"courses must be at least {ENROLLMENTS_PER_LEARNER} (each learner enrolls in "
                f"{ENROLLMENTS_PER_LEARNER}), got {self.courses}"
            )

    @property
    def enrollments(self) -> int:
        return self.learners * ENROLLMENTS_PER_LEARNER

    def parameters(self) -> dict[str, object]:
        """The bound parameters every generator statement uses."""
        rounds = -(-self.events // self.enrollments)  # statements per enrollment, rounded up
        return {
            "events": self.events,
            "learners": self.learners,
            "courses": self.courses,
            "per_learner": ENROLLMENTS_PER_LEARNER,
            "step": self.courses // ENROLLMENTS_PER_LEARNER,
            "enrollments": self.enrollments,
            "round_seconds": max(ACTIVE_DAYS * 86400 // rounds, 1),
            "lms": LMS_ROOT_URL,
            "erb": ERB_VERSION,
        }


# SQL expressions shared by every statement below (c: course number, l: learner, e: enrollment).
ORG = "concat('SynthOrg', toString({c} % " + str(ORGS) + "))"
COURSE_KEY = "concat('course-v1:', " + ORG + ", '+C', toString({c}), '+2026')"
COURSE_NAME = "concat('Synthetic course ', toString({c}))"
BLOCK_ID = "lower(hex(MD5(concat(toString({c}), '/', {kind}, '/', toString({i})))))"
LOCATION = (
    "concat('block-v1:', "
    + ORG
    + ", '+C', toString({c}), '+2026+type@', {kind}, '+block@', "
    + BLOCK_ID
    + ")"
)


def uuid_text(hex_digits: str, version: str) -> str:
    """SQL: 32 hex digits as a UUID string with the ``version`` digit and the RFC variant."""
    parts = ", '-', ".join(
        (
            f"substring({hex_digits}, 1, 8)",
            f"substring({hex_digits}, 9, 4)",
            f"'{version}', substring({hex_digits}, 14, 3)",
            f"'a', substring({hex_digits}, 18, 3)",
            f"substring({hex_digits}, 21, 12)",
        )
    )
    return f"concat({parts})"


#: xAPI external ids are uuid4 (ClickHouse computes the repeated MD5 once).
LEARNER_UUID = uuid_text("lower(hex(MD5(concat('learner/', toString({l})))))", "4")
ENROLLMENT_COURSE = (
    "(intDiv({e}, {{per_learner:UInt64}}) + ({e} % {{per_learner:UInt64}}) * {{step:UInt64}})"
    " % {{courses:UInt64}}"
)
ENROLLMENT_MODE = (
    "multiIf(cityHash64('mode', {e}) % 20 < 12, 'audit', "
    "cityHash64('mode', {e}) % 20 < 19, 'verified', 'honor')"
)
ENROLLMENT_ACTIVE = "cityHash64('active', {e}) % 20 != 0"
ENROLLMENT_CREATED = (
    f"toDateTime64('{START}', 6, 'UTC') + "
    f"toIntervalMicrosecond(cityHash64('created', {{e}}) % {ENROLL_DAYS * 86400 * 10**6})"
)
#: The course grade of an enrollment, 0.00 to 1.00.
ENROLLMENT_GRADE = "(cityHash64('grade', {e}) % 101) / 100"


def sql(template: str, **names: str) -> str:
    """``template`` with its ``{c}``/``{e}``/... placeholders replaced by column expressions."""
    return template.format(**names)


def _tables(settings: SchemaSettings) -> dict[str, str]:
    sink = quote_identifier(settings.event_sink_database)
    return {
        "course_overviews": f"{sink}.course_overviews",
        "course_blocks": f"{sink}.course_blocks",
        "course_enrollment": f"{sink}.course_enrollment",
        "external_id": f"{sink}.external_id",
        "user_profile": f"{sink}.user_profile",
        "xapi": f"{quote_identifier(settings.xapi_database)}."
        f"{quote_identifier(settings.xapi_table)}",
    }


DUMPED = "toDateTime64('2026-09-01 00:00:00', 6, 'UTC')"
DUMP_ID = "toUUID('00000000-0000-4000-8000-000000000001')"


def course_overviews_select() -> str:
    course_data = (
        '\'{"advertised_start": null, "announcement": null, "lowest_passing_grade": '
        + str(PASSING_GRADE)
        + ', "invitation_only": false, "max_student_enrollments_allowed": null, '
        '"effort": null, "enable_proctored_exams": false, "entrance_exam_enabled": false, '
        '"external_id": null, "language": "en"}\''
    )
    return (
        f"SELECT {sql(ORG, c='number')} AS org, {sql(COURSE_KEY, c='number')} AS course_key, "
        f"{sql(COURSE_NAME, c='number')} AS display_name, "
        f"toDateTime64('{START}', 6, 'UTC') AS course_start, NULL AS course_end, "
        "NULL AS enrollment_start, NULL AS enrollment_end, false AS self_paced, "
        f"{course_data} AS course_data_json, toDateTime64('{START}', 6, 'UTC') AS created, "
        f"toDateTime64('{START}', 6, 'UTC') AS modified, {DUMP_ID} AS dump_id, "
        f"{DUMPED} AS time_last_dumped "
        "FROM numbers({courses:UInt64})"
    )


def course_blocks_select() -> str:
    """Every course's outline in depth-first order, numbered as the course_blocks sink does."""
    leaves = len(LEAVES)
    per_unit, per_sub = 1 + leaves, 1 + UNITS * (1 + leaves)
    per_section = 1 + SUBSECTIONS * per_sub
    kinds = "[" + ", ".join(f"'{kind}'" for kind in ("vertical", *LEAVES)) + "]"
    return f"""
SELECT {sql(ORG, c="c")} AS org, {sql(COURSE_KEY, c="c")} AS course_key,
    if(kind = 'course', concat('block-v1:', {sql(ORG, c="c")}, '+C', toString(c),
       '+2026+type@course+block@course'), {sql(LOCATION, c="c", kind="kind", i="i")})
       AS location,
    if(kind = 'course', {sql(COURSE_NAME, c="c")},
       concat(kind, ' ', toString(section), '.', toString(subsection), '.', toString(unit)))
       AS display_name,
    kind AS block_type, section, subsection, unit,
    kind IN ('sequential', 'vertical', 'html', 'problem', 'video') AND subsection % 2 = 1
        AS graded,
    false AS detached,
    concat('{{"course": "C', toString(c), '", "run": "2026", "block_type": "', kind,
        '", "detached": false, "graded": ', if(graded, 'true', 'false'),
        ', "completion_mode": "", "section": ', toString(section), ', "subsection": ',
        toString(subsection), ', "unit": ', toString(unit), '}}') AS xblock_data_json,
    toInt32(b + 1) AS `order`, {DUMPED} AS edited_on, {DUMP_ID} AS dump_id,
    {DUMPED} AS time_last_dumped
FROM (
    SELECT intDiv(number, {BLOCKS_PER_COURSE}) AS c, number % {BLOCKS_PER_COURSE} AS b,
        intDiv(b - 1, {per_section}) AS s0, (b - 1) % {per_section} AS in_section,
        intDiv(in_section - 1, {per_sub}) AS ss0, (in_section - 1) % {per_sub} AS in_sub,
        intDiv(in_sub - 1, {per_unit}) AS u0, (in_sub - 1) % {per_unit} AS in_unit,
        multiIf(b = 0, 'course', in_section = 0, 'chapter', in_sub = 0, 'sequential',
                arrayElement({kinds}, in_unit + 1)) AS kind,
        multiIf(b = 0, 0, toUInt32(s0 + 1)) AS section,
        multiIf(b = 0 OR in_section = 0, 0, toUInt32(ss0 + 1)) AS subsection,
        multiIf(b = 0 OR in_section = 0 OR in_sub = 0, 0, toUInt32(u0 + 1)) AS unit,
        multiIf(kind = 'course', 0, kind = 'chapter', s0,
                kind = 'sequential', s0 * {SUBSECTIONS} + ss0,
                (s0 * {SUBSECTIONS} + ss0) * {UNITS} + u0) AS i
    FROM numbers({{courses:UInt64}} * {BLOCKS_PER_COURSE})
)
"""


def course_enrollment_select() -> str:
    e = "number"
    return (
        f"SELECT toInt64(number + 1) AS id, {sql(COURSE_KEY, c=sql(ENROLLMENT_COURSE, e=e))} "
        f"AS course_key, {sql(ENROLLMENT_CREATED, e=e)} AS created, "
        f"{sql(ENROLLMENT_ACTIVE, e=e)} AS is_active, {sql(ENROLLMENT_MODE, e=e)} AS mode, "
        "concat('synth_', toString(intDiv(number, {per_learner:UInt64}))) AS username, "
        "toInt64(intDiv(number, {per_learner:UInt64}) + 1000) AS user_id, "
        f"{DUMP_ID} AS dump_id, {DUMPED} AS time_last_dumped "
        "FROM numbers({enrollments:UInt64})"
    )


def external_id_select() -> str:
    return (
        f"SELECT toUUID({sql(LEARNER_UUID, l='number')}) AS external_user_id, "
        "'xapi' AS external_id_type, concat('synth_', toString(number)) AS username, "
        f"toInt64(number + 1000) AS user_id, {DUMP_ID} AS dump_id, "
        f"{DUMPED} AS time_last_dumped FROM numbers({{learners:UInt64}})"
    )


def user_profile_select() -> str:
    return (
        "SELECT toInt64(number + 1) AS id, toInt64(number + 1000) AS user_id, "
        "concat('Synthetic Learner ', toString(number)) AS name, "
        "concat('synth_', toString(number)) AS username, "
        "concat('synth_', toString(number), '@example.com') AS email, "
        f"{DUMP_ID} AS dump_id, {DUMPED} AS time_last_dumped FROM numbers({{learners:UInt64}})"
    )


def _json_float(expression: str) -> str:
    """A Float64 as JSON text, always with a decimal point (as Python's json writes it)."""
    return f"if(isFinite({expression}) AND position(toString(toFloat64({expression})), '.') = 0, concat(toString(toFloat64({expression})), '.0'), toString(toFloat64({expression})))"  # noqa: E501


def statements_select(first: str = "0", count: str = "{events:UInt64}") -> str:
    """``event_id, emission_time, event`` of statements ``first`` to ``first + count - 1``.

    Statement ``n`` belongs to enrollment ``n % enrollments``; its round ``n // enrollments``
    decides the kind: 0 registered, 1 course grade, 2 passed (grade >= 0.5), 3 unregistered
    (inactive enrollments); later rounds (and the rounds not taken) are activity.
    """
    e, course = "e", "c"
    activity = (
        "multiIf("
        + ", ".join(f"kind_roll < {limit}, '{verb}'" for verb, limit in ACTIVITY_MIX[:-1])
        + f", '{ACTIVITY_MIX[-1][0]}')"
    )
    verb_iris = "map(" + ", ".join(f"'{name}', '{iri}'" for name, iri in VERBS.items()) + ")"
    course_iri = "concat({lms:String}, '/course/', course_key)"
    version = (
        "'\"https://w3id.org/xapi/openedx/extension/transformer-version\": \"', {erb:String}, '\"'"  # noqa: E501
    )
    parent = (
        '\'{"contextActivities": {"parent": [{"id": "\', ' + course_iri + ", '\", "
        '"objectType": "Activity", "definition": {"name": {"en-US": "\', course_name, '
        '\'"}, "type": "http://adlnet.gov/expapi/activities/course"}}]}, "extensions": {\', '
        + version
    )
    video_length = _json_float("video_length")
    video_def = '\'{"type": "https://w3id.org/xapi/video/activity-type/video"}\''
    video_ctx = (
        parent
        + ", ', \"https://w3id.org/xapi/video/extensions/length\": ', "
        + video_length
        + ", '}}'"
    )
    video_time = (
        '\'{"extensions": {"https://w3id.org/xapi/video/extensions/time": \', '
        + _json_float("video_time")
        + ", '}}'"
    )  # noqa: E501
    completed_result = (
        '\'{"completion": true, "duration": "PT\', leftPad(toString(intDiv(toUInt32(video_length), 60)), 2, \'0\'), '  # noqa: E501
        "'M', leftPad(toString(toUInt32(video_length) % 60), 2, '0'), 'S\", \"extensions\": "
        '{"https://w3id.org/xapi/video/extensions/time": \', ' + video_length + ", '}}'"
    )
    course_object = (
        '\'{"id": "\', ' + course_iri + ', \'", "objectType": "Activity", "definition": '
        '{"name": {"en": "\', course_name, \'"}, "type": '
        '"http://adlnet.gov/expapi/activities/course"\''
    )
    object_json = f"""multiIf(
        verb IN ('registered', 'unregistered'), concat({course_object}, ', "extensions": ',
            '{{"https://w3id.org/xapi/acrossx/extensions/type": "', mode, '"}}}}}}'),
        verb = 'passed', concat({course_object}, ', "extensions": {{}}}}}}'),
        verb = 'earned', concat({course_object}, '}}}}'),
        verb = 'navigated', concat('{{"id": "', {{lms:String}}, '/xblock/', block, '", ',
            '"objectType": "Activity", "definition": {{"type": ',
            '"http://id.tincanapi.com/activitytype/resource", "extensions": ',
            '{{"https://w3id.org/xapi/acrossx/extensions/total-items": {UNITS}}}}}}}'),
        verb = 'evaluated', concat('{{"id": "', {{lms:String}}, '/xblock/', block, '", ',
            '"objectType": "Activity", "definition": {{"description": {{"en-US": ',
            '"Question ', toString(unit_index), '"}}, "type": ',
            '"http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": ',
            '"choice", "extensions": {{"http://id.tincanapi.com/extension/attempt-id": ',
            toString(attempts), '}}}}}}'),
        concat('{{"id": "', {{lms:String}}, '/xblock/', block, '", "objectType": "Activity", ',
            '"definition": ', {video_def}, '}}'))"""
    result_json = f"""multiIf(
        verb = 'evaluated', concat('"result": {{"score": {{"scaled": ', {_json_float("raw / max_score")},
            ', "raw": ', {_json_float("raw")}, ', "min": 0.0, "max": ', {_json_float("max_score")},
            '}}, "success": ', if(success, 'true', 'false'), ', "response": "choice ',
            toString(toUInt32(raw)), '"}}, '),
        verb = 'earned', concat('"result": {{"score": {{"scaled": ', {_json_float("grade")},
            ', "raw": ', {_json_float("grade")}, ', "min": 0.0, "max": 1.0}}, "extensions": ',
            '{{"http://www.tincanapi.co.uk/activitytypes/grade_classification": "',
            if(grade >= {PASSING_GRADE}, 'Pass', 'Fail'), '"}}}}, '),
        verb IN ('played', 'paused', 'terminated'), concat('"result": ', {video_time}, ', '),
        verb = 'completed', concat('"result": ', {completed_result}, ', '),
        '')"""  # noqa: E501
    context_json = f"""multiIf(
        verb IN ('registered', 'unregistered', 'passed'), concat('{{"extensions": {{', {version}, '}}}}'),
        verb IN ('initialized', 'played', 'paused', 'terminated', 'completed'), concat({video_ctx}),
        verb = 'navigated', concat({parent}, ', "http://id.tincanapi.com/extension/starting-position": ',
            toString(unit_in_sequence + 1), ', "http://id.tincanapi.com/extension/ending-point": ',
            '"next unit"}}}}'),
        concat({parent}, '}}}}'))"""  # noqa: E501
    return f"""
SELECT toUUID(statement_id) AS event_id, emission_time,
    concat('{{"actor": {{"account": {{"homePage": "', {{lms:String}}, '", "name": "', learner,
        '"}}, "objectType": "Agent"}}, "id": "', statement_id, '", "object": ', {object_json},
        ', "verb": {{"id": "', {verb_iris}[verb], '", "display": {{"en": "', verb, '"}}}}, ',
        {result_json}, '"version": "1.0.3", "timestamp": "', {iso("emission_time")},
        '", "context": ', {context_json}, ', "stored": "',
        {iso("emission_time + toIntervalMillisecond(800 + n % 400)")},
        '", "authority": {{"mbox": "mailto:lms@aspects.example.com", "objectType": "Agent"}}}}')
        AS event
FROM (
    SELECT number AS n, n % {{enrollments:UInt64}} AS {e},
        intDiv(n, {{enrollments:UInt64}}) AS round,
        {sql(ENROLLMENT_COURSE, e=e)} AS {course},
        {sql(COURSE_KEY, c=course)} AS course_key, {sql(COURSE_NAME, c=course)} AS course_name,
        {sql(LEARNER_UUID, l=f"intDiv({e}, {{per_learner:UInt64}})")} AS learner,
        {sql(ENROLLMENT_MODE, e=e)} AS mode, {sql(ENROLLMENT_GRADE, e=e)} AS grade,
        cityHash64('kind', n) % 100 AS kind_roll,
        multiIf(round = 0, 'registered', round = 1, 'earned',
                round = 2 AND grade >= {PASSING_GRADE}, 'passed',
                round = 3 AND NOT ({sql(ENROLLMENT_ACTIVE, e=e)}), 'unregistered',
                {activity}) AS verb,
        cityHash64('unit', n) % {UNITS_PER_COURSE} AS unit_index,
        unit_index % {UNITS} AS unit_in_sequence,
        multiIf(verb = 'navigated', 'sequential', verb = 'evaluated', 'problem', 'video')
            AS block_type,
        if(verb = 'navigated', intDiv(unit_index, {UNITS}), unit_index) AS block_index,
        {sql(LOCATION, c=course, kind="block_type", i="block_index")} AS block,
        toFloat64(1 + cityHash64('max', {course}, unit_index) % 3) AS max_score,
        cityHash64('ok', n) % 100 < 40 + 50 * grade AS success,
        if(success, max_score, toFloat64(cityHash64('raw', n) % toUInt64(max_score))) AS raw,
        1 + cityHash64('attempt', n) % 3 AS attempts,
        toFloat64(60 + cityHash64('length', {course}, unit_index) % 540) AS video_length,
        if(verb = 'initialized', 0.0,
           (cityHash64('time', n) % toUInt64(video_length * 10)) / 10) AS video_time,
        {sql(ENROLLMENT_CREATED, e=e)} + toIntervalMicrosecond(
            round * {{round_seconds:UInt64}} * 1000000
            + cityHash64('at', n) % ({{round_seconds:UInt64}} * 1000000)) AS emission_time,
        {uuid_text("lower(hex(MD5(concat('statement/', toString(n)))))", "5")} AS statement_id
    FROM numbers({first}, {count})
)
"""


def iso(expression: str) -> str:
    """SQL for a DateTime64(6) as ERB writes timestamps (``2026-03-01T10:00:00.123456+00:00``)."""
    return (
        f"concat(formatDateTime({expression}, '%Y-%m-%dT%H:%i:%S', 'UTC'), '.', "
        f"leftPad(toString(toUnixTimestamp64Micro({expression}) % 1000000), 6, '0'), '+00:00')"
    )


#: Sink table -> the SELECT generating its rows (column names as the table's).
SINK_SELECTS = {
    "course_overviews": course_overviews_select,
    "course_blocks": course_blocks_select,
    "course_enrollment": course_enrollment_select,
    "external_id": external_id_select,
    "user_profile": user_profile_select,
}
STATEMENT_COLUMNS = "(event_id, emission_time, event)"


def insert_sink_rows(client, settings: SchemaSettings, sizes: Sizes) -> dict[str, int]:
    """Fill the sink tables for ``sizes`` (each INSERT names its columns); rows per table."""
    tables = _tables(settings)
    written = {}
    parameters = sizes.parameters()
    for table, select in SINK_SELECTS.items():
        described = client.query(f"DESCRIBE ({select()})", parameters=parameters).result_rows
        columns = ", ".join(quote_identifier(row[0]) for row in described)
        client.command(
            f"INSERT INTO {tables[table]} ({columns}) {select()}",  # noqa: S608 quoted
            parameters=parameters,
        )
        written[table] = int(
            client.command(f"SELECT count() FROM {tables[table]}")  # noqa: S608 quoted
        )
    return written


def insert_statements(
    client,
    settings: SchemaSettings,
    sizes: Sizes,
    first: int = 0,
    count: int | None = None,
    chunk: int = 1_000_000,
    progress=None,
) -> int:
    """Insert statements ``first`` .. ``first + count - 1`` (all by default) in chunks."""
    count = sizes.events - first if count is None else count
    if first < 0 or count < 0 or first + count > sizes.events:
        raise ValueError(f"statements {first}..{first + count} are outside 0..{sizes.events}")
    table = _tables(settings)["xapi"]
    query = (
        f"INSERT INTO {table} {STATEMENT_COLUMNS} "  # noqa: S608 identifiers quoted
        + statements_select("{first:UInt64}", "{count:UInt64}")
    )
    done = 0
    while done < count:
        size = min(chunk, count - done)
        parameters = {**sizes.parameters(), "first": first + done, "count": size}
        client.command(query, parameters=parameters)
        done += size
        if progress is not None:
            progress(done)
    return done
