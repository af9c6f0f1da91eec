-- What the operator dashboard reads: counts and timestamps of the sink, xAPI and load-test
-- tables, with no learner column. Superset's ClickHouse user reads only the reporting database
-- (users.REPORTING_OBJECTS), so these views run with the rights of the user that created them
-- (the migration runner's): SQL SECURITY DEFINER. Nothing else of those tables shows through.
CREATE VIEW IF NOT EXISTS ${reporting}.operator_table_rows ${on_cluster}
DEFINER = CURRENT_USER SQL SECURITY DEFINER AS
SELECT 'course_overviews' AS table_name, count() AS row_count,
    max(time_last_dumped) AS last_dumped FROM ${event_sink}.course_overviews
UNION ALL
SELECT 'course_blocks', count(), max(time_last_dumped) FROM ${event_sink}.course_blocks
UNION ALL
SELECT 'user_profile', count(), max(time_last_dumped) FROM ${event_sink}.user_profile
UNION ALL
SELECT 'external_id', count(), max(time_last_dumped) FROM ${event_sink}.external_id
UNION ALL
SELECT 'course_enrollment', count(), max(time_last_dumped) FROM ${event_sink}.course_enrollment
UNION ALL
SELECT 'taxonomy', count(), max(time_last_dumped) FROM ${event_sink}.taxonomy
UNION ALL
SELECT 'tag', count(), max(time_last_dumped) FROM ${event_sink}.tag
UNION ALL
SELECT 'object_tag', count(), max(time_last_dumped) FROM ${event_sink}.object_tag;

-- Statements Ralph wrote, per hour of emission, with the newest of each hour (the xAPI lag).
CREATE VIEW IF NOT EXISTS ${reporting}.operator_xapi_hourly ${on_cluster}
DEFINER = CURRENT_USER SQL SECURITY DEFINER AS
SELECT toStartOfHour(emission_time, 'UTC') AS hour, count() AS statements, max(emission_time) AS newest
FROM ${xapi}.${xapi_table}
GROUP BY hour;

-- One row per load-test run (`tutor local do load-test`).
CREATE VIEW IF NOT EXISTS ${reporting}.operator_load_test_runs ${on_cluster}
DEFINER = CURRENT_USER SQL SECURITY DEFINER AS
SELECT run_id, min(timestamp) AS started, max(timestamp) AS last_seen, count() AS run_events,
    groupUniqArray(toString(event_type)) AS event_types
FROM ${event_sink}.load_test_runs
GROUP BY run_id;
