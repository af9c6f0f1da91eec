-- The reporting database: what Superset reads (docs/clickhouse.md, "Reporting objects").
-- Every reporting table is filled by a materialized view on its source (new rows) and, when
-- created, by an INSERT ... SELECT of the rows already there (backfill). A row arriving between
-- the two is counted twice only until merge: the tables replace or aggregate idempotently.
CREATE DATABASE IF NOT EXISTS ${reporting} ${on_cluster};

-- The install's pseudonym key (learner ids). The migration runner writes one random key here
-- the first time (data in the request body: never in DDL, a command line or the query log).
-- Only the admin (migration) user reads it; materialized views read it as their definer.
CREATE TABLE IF NOT EXISTS ${reporting}.pseudonym_key ${on_cluster} (
    key String,
    created DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = MergeTree()
ORDER BY created;

-- Course names and runs (latest dump of each course overview).
CREATE TABLE IF NOT EXISTS ${reporting}.course_names ${on_cluster} (
    org LowCardinality(String),
    course_key String,
    course_name String,
    course_run String,
    self_paced Bool,
    course_start Nullable(DateTime64(6, 'UTC')),
    course_end Nullable(DateTime64(6, 'UTC')),
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (org, course_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.course_names_mv ${on_cluster}
TO ${reporting}.course_names AS
SELECT org, course_key, display_name AS course_name,
    splitByChar('+', course_key)[-1] AS course_run,
    self_paced, course_start, course_end, time_last_dumped
FROM ${event_sink}.course_overviews;

INSERT INTO ${reporting}.course_names
SELECT org, course_key, display_name, splitByChar('+', course_key)[-1],
    self_paced, course_start, course_end, time_last_dumped
FROM ${event_sink}.course_overviews;

-- Outline blocks, one row per (course, block); the newest dump of a block wins on merge.
-- The latest outline of a course is its rows with the course's max(time_last_dumped)
-- (view course_outline below).
CREATE TABLE IF NOT EXISTS ${reporting}.course_blocks ${on_cluster} (
    org LowCardinality(String),
    course_key String,
    block_id String,
    block_type LowCardinality(String),
    display_name String,
    section UInt32,
    subsection UInt32,
    unit UInt32,
    graded Bool,
    `order` Int32,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (org, course_key, block_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.course_blocks_mv ${on_cluster}
TO ${reporting}.course_blocks AS
SELECT org, course_key, location AS block_id, block_type, display_name, section, subsection,
    unit, graded, `order`, time_last_dumped
FROM ${event_sink}.course_blocks;

INSERT INTO ${reporting}.course_blocks
SELECT org, course_key, location, block_type, display_name, section, subsection, unit, graded,
    `order`, time_last_dumped
FROM ${event_sink}.course_blocks;

-- The latest outline per course, with "N: name" section, "N.M: name" subsection and
-- "N.M.U: name" unit labels (empty outside a section/subsection/unit).
CREATE VIEW IF NOT EXISTS ${reporting}.course_outline ${on_cluster} AS
SELECT org, course_key, block_id, block_type, display_name, section, subsection, unit, graded,
    `order`,
    if(section = 0, '', concat(toString(section), ': ', section_name)) AS section_label,
    if(subsection = 0, '',
        concat(toString(section), '.', toString(subsection), ': ', subsection_name))
        AS subsection_label,
    if(unit = 0, '', concat(toString(section), '.', toString(subsection), '.', toString(unit),
        ': ', unit_name)) AS unit_label
FROM (
    SELECT *,
        anyIf(display_name, block_type = 'chapter')
            OVER (PARTITION BY org, course_key, section) AS section_name,
        anyIf(display_name, block_type = 'sequential')
            OVER (PARTITION BY org, course_key, section, subsection) AS subsection_name,
        anyIf(display_name, block_type = 'vertical')
            OVER (PARTITION BY org, course_key, section, subsection, unit) AS unit_name
    FROM ${reporting}.course_blocks FINAL
    WHERE (org, course_key, time_last_dumped) IN (
        SELECT org, course_key, max(time_last_dumped)
        FROM ${reporting}.course_blocks GROUP BY org, course_key
    )
);
