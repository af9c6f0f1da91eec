"""The established Aspects tables (tutor-contrib-aspects' Alembic revisions), as test fixtures.

Written from the facts in /work/shared/reference (platform-plugin-aspects.md 2.4,
tutor-contrib-aspects.md 4): table names, column order, engines and sorting keys; columns the
reference leaves untyped use the established style (String dates, Int32 ids). Rows are in
their sinks' format: ``str()`` of datetimes, ``'None'`` for a missing value, the course
outline numbers inside ``xblock_data_json``.
"""

# ruff: noqa: S608 - database names come from SchemaSettings (validated identifiers)

from __future__ import annotations

import json
import uuid
from datetime import datetime

from aspects_platform.clickhouse.schema import SchemaSettings

TABLES = {
    "course_overviews": (
        "org String, course_key String, display_name String, course_start String, "
        "course_end String, enrollment_start String, enrollment_end String, self_paced Bool, "
        "course_data_json String, created String, modified String, dump_id UUID, "
        "time_last_dumped String",
        "MergeTree ORDER BY (org, course_key, modified, time_last_dumped)",
    ),
    "course_blocks": (
        "org String, course_key String, location String, display_name String, "
        "xblock_data_json String, `order` Int32 DEFAULT 0, edited_on String, dump_id UUID, "
        "time_last_dumped String",
        "MergeTree ORDER BY (org, course_key, location, edited_on, `order`)",
    ),
    "user_profile": (
        "id Int32, user_id Int32, name String, username String, email String, meta String, "
        "courseware String, language String, location String, year_of_birth String, "
        "gender String, level_of_education String, mailing_address String, city String, "
        "country String, state String, goals String, bio String, "
        "profile_image_uploaded_at String, phone_number String, dump_id UUID, "
        "time_last_dumped String",
        "ReplacingMergeTree PARTITION BY user_id MOD 100 ORDER BY (id, time_last_dumped)",
    ),
    "external_id": (
        "external_user_id UUID, external_id_type String, username String, user_id Int32, "
        "dump_id UUID, time_last_dumped String",
        "ReplacingMergeTree PARTITION BY user_id MOD 100 "
        "ORDER BY (external_user_id, time_last_dumped)",
    ),
    "course_enrollment": (
        "id Int32, course_key String, created String, is_active Bool, "
        "mode LowCardinality(String), username String, user_id Int32, dump_id UUID, "
        "time_last_dumped String",
        "MergeTree ORDER BY (course_key, id, time_last_dumped)",
    ),
    "taxonomy": (
        "id Int32, name String, dump_id UUID, time_last_dumped String",
        "ReplacingMergeTree ORDER BY (id, time_last_dumped)",
    ),
    # Revision 0039 has no lineage column on tag (the reference could not find one).
    "tag": (
        "id Int32, taxonomy Int32, parent Nullable(Int32), value String, external_id String, "
        "dump_id UUID, time_last_dumped String",
        "ReplacingMergeTree ORDER BY (id, time_last_dumped)",
    ),
    "object_tag": (
        "id Int32, object_id String, taxonomy Int32, tag Nullable(Int32), _value String, "
        "_export_id String, lineage String, dump_id UUID, time_last_dumped String",
        "ReplacingMergeTree ORDER BY (id, time_last_dumped)",
    ),
    # Not an Aspects table name: must be left alone.
    "aspects_data": (
        "path String, body String, time_last_dumped DateTime64(6)",
        "ReplacingMergeTree ORDER BY path",
    ),
}
#: Revision 0032: Ralph's raw table (DateTime64(6) without a time zone).
XAPI_COLUMNS = "event_id UUID, emission_time DateTime64(6), event String"
XAPI_ENGINE = (
    "ReplacingMergeTree PARTITION BY toYYYYMM(emission_time) ORDER BY (emission_time, event_id)"  # noqa: E501
)

COURSE = "course-v1:Org+Demo+2024"
DUMP = uuid.UUID(int=7)
T1, T2 = "2024-05-01 10:00:00.123456+00:00", "2024-05-02 11:30:00+00:00"
BLOCK_JSON = {"course": "Demo", "run": "2024", "block_type": "problem", "detached": 0}
ROWS = {
    "course_overviews": [
        ("Org", COURSE, "Demo", "2024-01-01 00:00:00+00:00", "None", "None", "None", False,
         "{}", "2023-12-01 08:00:00+00:00", T1, DUMP, T1),
        ("Org", COURSE, "Demo v2", "2024-01-01 00:00:00+00:00", "2024-12-31 00:00:00+00:00",
         "None", "None", False, "{}", "2023-12-01 08:00:00+00:00", T2, DUMP, T2),
    ],
    "course_blocks": [
        ("Org", COURSE, "block-v1:Org+Demo+2024+type@problem+block@p1", "Q1",
         json.dumps({**BLOCK_JSON, "graded": 1, "section": 1, "subsection": 2, "unit": 3}),
         5, "2024-04-30 09:00:00+00:00", DUMP, T1),
        ("Org", COURSE, "block-v1:Org+Demo+2024+type@about+block@overview", "About",
         json.dumps({**BLOCK_JSON, "block_type": "about", "detached": 1, "graded": 0,
                     "section": 0, "subsection": 0, "unit": 0}),
         9, "None", DUMP, T1),
    ],
    "user_profile": [
        (1, 11, "Ada", "ada", "ada@example.com", "", "", "en", "", "1815", "f", "p", "", "",
         "GB", "", "", "", "None", "", DUMP, T1),
        (2, 12, "Bob", "bob", "bob@example.com", "", "", "", "", "None", "", "", "", "", "",
         "", "", "", "2024-02-03 04:05:06.789000+00:00", "", DUMP, T1),
    ],
    "external_id": [
        (uuid.UUID(int=1), "xapi", "ada", 11, DUMP, T1),
    ],
    "course_enrollment": [
        (21, COURSE, "2024-03-01 12:00:00+00:00", True, "audit", "ada", 11, DUMP, T1),
        (21, COURSE, "2024-03-01 12:00:00+00:00", False, "audit", "ada", 11, DUMP, T2),
    ],
    "taxonomy": [(3, "Subjects", DUMP, T1)],
    "tag": [(4, 3, None, "Math", "m", DUMP, T1)],
    "object_tag": [(5, COURSE, 3, 4, "Math", "m", '["Math"]', DUMP, T1)],
    "aspects_data": [("manifest.json", "{}", datetime(2024, 5, 1, 10))],
}  # fmt: skip
XAPI_ROWS = [
    (str(uuid.UUID(int=100 + n)), f"2024-05-0{n + 1} 10:00:00.000001", '{"verb": "x"}')
    for n in range(3)
]


def create_established(client, settings: SchemaSettings) -> None:
    """Create the databases and the established tables (Alembic's DDL), with their rows."""
    sink = f"`{settings.event_sink_database}`"
    xapi = f"`{settings.xapi_database}`.`{settings.xapi_table}`"
    for database in (settings.event_sink_database, settings.xapi_database):
        client.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    for table, (columns, engine) in TABLES.items():
        client.command(f"CREATE TABLE {sink}.`{table}` ({columns}) ENGINE = {engine}")
        client.insert(f"{sink}.`{table}`", ROWS[table])
    client.command(f"CREATE TABLE {xapi} ({XAPI_COLUMNS}) ENGINE = {XAPI_ENGINE}")
    client.command(
        f"INSERT INTO {xapi} SELECT toUUID(e), toDateTime64(t, 6), v FROM "
        "(SELECT arrayJoin({rows:Array(Tuple(String, String, String))}) AS r, "
        "r.1 AS e, r.2 AS t, r.3 AS v)",
        parameters={"rows": XAPI_ROWS},
    )
