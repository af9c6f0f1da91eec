-- Tables written by the LMS/CMS sinks (docs/architecture.md, TABLE CONTRACT).
-- Latest-state tables: ReplacingMergeTree(time_last_dumped) keyed by the natural key.
-- course_blocks keeps one copy per dump: blocks can disappear when a course is republished.

CREATE TABLE IF NOT EXISTS ${event_sink}.course_overviews ${on_cluster} (
    org String,
    course_key String,
    display_name String,
    course_start Nullable(DateTime64(6, 'UTC')),
    course_end Nullable(DateTime64(6, 'UTC')),
    enrollment_start Nullable(DateTime64(6, 'UTC')),
    enrollment_end Nullable(DateTime64(6, 'UTC')),
    self_paced Bool,
    course_data_json String,
    created Nullable(DateTime64(6, 'UTC')),
    modified Nullable(DateTime64(6, 'UTC')),
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (org, course_key);

CREATE TABLE IF NOT EXISTS ${event_sink}.course_blocks ${on_cluster} (
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
) ENGINE = MergeTree()
ORDER BY (course_key, time_last_dumped, `order`);

CREATE TABLE IF NOT EXISTS ${event_sink}.user_profile ${on_cluster} (
    id Int64,
    user_id Int64,
    name String,
    username String,
    email String,
    meta String,
    courseware String,
    language String,
    location String,
    year_of_birth Nullable(Int32),
    gender String,
    level_of_education String,
    mailing_address String,
    city String,
    country String,
    state String,
    goals String,
    bio String,
    profile_image_uploaded_at Nullable(DateTime64(6, 'UTC')),
    phone_number String,
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (user_id);

CREATE TABLE IF NOT EXISTS ${event_sink}.external_id ${on_cluster} (
    external_user_id UUID,
    external_id_type String,
    username String,
    user_id Int64,
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (user_id, external_id_type);

CREATE TABLE IF NOT EXISTS ${event_sink}.course_enrollment ${on_cluster} (
    id Int64,
    course_key String,
    created DateTime64(6, 'UTC'),
    is_active Bool,
    mode LowCardinality(String),
    username String,
    user_id Int64,
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY (course_key, user_id);
