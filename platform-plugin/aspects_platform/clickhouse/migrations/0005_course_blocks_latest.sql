-- course_blocks keeps one row per block (course_key, location) instead of one copy of the
-- outline per dump: ReplacingMergeTree(time_last_dumped), existing rows kept (the newest copy
-- of each block wins on merge). A block removed from the course keeps its last row, with an
-- older time_last_dumped: the latest outline of a course is its rows whose time_last_dumped
-- equals the course's max(time_last_dumped) (docs/clickhouse.md).
-- One statement, so it is atomic and can run again: REPLACE builds the new table from the
-- current one, then swaps it in.

CREATE OR REPLACE TABLE ${event_sink}.course_blocks ${on_cluster} (
    org String,
    course_key String,
    location String,
    display_name String,
    block_type LowCardinality(String),
    section UInt32,
    subsection UInt32,
    unit UInt32,
    graded Bool,
    detached Bool,
    xblock_data_json String,
    `order` Int32,
    edited_on Nullable(DateTime64(6, 'UTC')),
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (org, course_key, location)
AS SELECT org, course_key, location, display_name, block_type, section, subsection, unit,
    graded, detached, xblock_data_json, `order`, edited_on, dump_id, time_last_dumped
FROM ${event_sink}.course_blocks;
