-- Parsed xAPI events and the per-learner objects built from them (docs/clickhouse.md).
-- (Regular expressions write their end anchor as two dollar signs: the placeholder escape.)
-- Ralph's raw rows pass through a Null-engine feed: the parsing view reads the feed, so the
-- backfill of existing rows (INSERT INTO the feed, last statement) is parsed by the same SQL.
CREATE TABLE IF NOT EXISTS ${reporting}.xapi_feed ${on_cluster} (
    event_id UUID,
    emission_time DateTime64(6, 'UTC'),
    event String
) ENGINE = Null;

-- One row per statement, as ERB writes them (edx-event-routing-backends' xAPI transformers).
-- learner: the pseudonym of actor.account.name (ERB's external id), never the id itself.
CREATE TABLE IF NOT EXISTS ${reporting}.xapi_events ${on_cluster} (
    org LowCardinality(String),
    course_key String,
    verb LowCardinality(String),
    emission_time DateTime64(6, 'UTC'),
    event_id UUID,
    learner String,
    verb_id LowCardinality(String),
    object_id String,
    object_type LowCardinality(String),
    block_id String,
    block_type LowCardinality(String),
    scaled_score Nullable(Float64),
    success Nullable(Bool),
    attempts Nullable(Int64),
    video_time Nullable(Float64),
    video_length Nullable(Float64),
    enrollment_mode LowCardinality(String),
    grade_classification LowCardinality(String)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(emission_time)
ORDER BY (org, course_key, verb, emission_time, event_id);

-- Per learner and course: enrollment, last visit, grade, pass/fail, answers (states merged by
-- the view learner_course_status). Every state is idempotent: a statement seen twice (a
-- retried batch before merge) changes nothing.
CREATE TABLE IF NOT EXISTS ${reporting}.learner_course_state ${on_cluster} (
    org LowCardinality(String),
    course_key String,
    learner String,
    enrolled_at AggregateFunction(min, DateTime64(6, 'UTC')),
    enrollment_mode AggregateFunction(argMax, LowCardinality(String), DateTime64(6, 'UTC')),
    enrollment_active AggregateFunction(argMax, UInt8, DateTime64(6, 'UTC')),
    enrollment_events AggregateFunction(uniqExact, UUID),
    last_visit AggregateFunction(max, DateTime64(6, 'UTC')),
    grade AggregateFunction(argMax, Float64, DateTime64(6, 'UTC')),
    grade_events AggregateFunction(uniqExact, UUID),
    grade_classification AggregateFunction(argMax, LowCardinality(String), DateTime64(6, 'UTC')),
    passed AggregateFunction(argMax, UInt8, DateTime64(6, 'UTC')),
    pass_events AggregateFunction(uniqExact, UUID),
    answers AggregateFunction(uniqExact, UUID),
    correct_answers AggregateFunction(uniqExact, UUID)
) ENGINE = AggregatingMergeTree()
ORDER BY (org, course_key, learner);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.learner_course_state_mv ${on_cluster}
TO ${reporting}.learner_course_state AS
SELECT org, course_key, learner,
    minStateIf(emission_time, verb = 'registered') AS enrolled_at,
    argMaxStateIf(enrollment_mode, emission_time, verb IN ('registered', 'unregistered'))
        AS enrollment_mode,
    argMaxStateIf(toUInt8(verb = 'registered'), emission_time,
        verb IN ('registered', 'unregistered')) AS enrollment_active,
    uniqExactStateIf(event_id, verb IN ('registered', 'unregistered')) AS enrollment_events,
    maxState(emission_time) AS last_visit,
    argMaxStateIf(scaled_score, emission_time, verb = 'earned' AND block_id = '') AS grade,
    uniqExactStateIf(event_id, verb = 'earned' AND block_id = '' AND scaled_score IS NOT NULL)
        AS grade_events,
    argMaxStateIf(grade_classification, emission_time, verb = 'earned' AND block_id = '')
        AS grade_classification,
    argMaxStateIf(toUInt8(verb = 'passed'), emission_time, verb IN ('passed', 'failed'))
        AS passed,
    uniqExactStateIf(event_id, verb IN ('passed', 'failed')) AS pass_events,
    uniqExactStateIf(event_id, verb = 'evaluated') AS answers,
    uniqExactStateIf(event_id, verb = 'evaluated' AND success) AS correct_answers
FROM ${reporting}.xapi_events
WHERE course_key != ''
GROUP BY org, course_key, learner;

-- Per learner and block (problems, videos, subsections navigated to): engagement counts.
CREATE TABLE IF NOT EXISTS ${reporting}.learner_block_state ${on_cluster} (
    org LowCardinality(String),
    course_key String,
    learner String,
    block_id String,
    block_type LowCardinality(String),
    visits AggregateFunction(uniqExact, UUID),
    answers AggregateFunction(uniqExact, UUID),
    last_success AggregateFunction(argMax, Bool, DateTime64(6, 'UTC')),
    best_score AggregateFunction(max, Float64),
    max_attempt AggregateFunction(max, Int64),
    video_plays AggregateFunction(uniqExact, UUID),
    video_completions AggregateFunction(uniqExact, UUID),
    video_position AggregateFunction(max, Float64),
    video_length AggregateFunction(max, Float64),
    first_seen AggregateFunction(min, DateTime64(6, 'UTC')),
    last_seen AggregateFunction(max, DateTime64(6, 'UTC'))
) ENGINE = AggregatingMergeTree()
ORDER BY (org, course_key, learner, block_id, block_type);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.learner_block_state_mv ${on_cluster}
TO ${reporting}.learner_block_state AS
SELECT org, course_key, learner, block_id, block_type,
    uniqExactStateIf(event_id, verb IN ('navigated', 'viewed', 'experienced')) AS visits,
    uniqExactStateIf(event_id, verb = 'evaluated') AS answers,
    argMaxStateIf(success, emission_time, verb = 'evaluated') AS last_success,
    maxStateIf(scaled_score, verb = 'evaluated') AS best_score,
    maxStateIf(attempts, verb = 'evaluated') AS max_attempt,
    uniqExactStateIf(event_id, verb = 'played') AS video_plays,
    uniqExactStateIf(event_id, verb = 'completed' AND block_type = 'video') AS video_completions,
    maxState(ifNull(video_time, 0)) AS video_position,
    maxState(ifNull(video_length, 0)) AS video_length,
    minState(emission_time) AS first_seen,
    maxState(emission_time) AS last_seen
FROM ${reporting}.xapi_events
WHERE block_id != '' AND course_key != ''
GROUP BY org, course_key, learner, block_id, block_type;

-- The parsing itself: ERB's verb and extension IRIs (event_routing_backends.processors.xapi
-- .constants). Object ids: <LMS>/course/<course key> or <LMS>/xblock/<usage key>; the course
-- of a block statement is its first parent activity, else the usage key's course.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.xapi_events_mv ${on_cluster}
TO ${reporting}.xapi_events AS
WITH
    JSONExtractString(event, 'object', 'id') AS object_iri,
    extract(object_iri, '/xblock/((?:block|i4x)[^/?#]*)$$') AS usage_key,
    JSONExtractString(event, 'context', 'contextActivities', 'parent', 1, 'id') AS parent_iri,
    multiIf(
        match(object_iri, '/course/[^/]+$$'), extract(object_iri, '/course/([^/?#]+)$$'),
        match(parent_iri, '/course/[^/]+$$'), extract(parent_iri, '/course/([^/?#]+)$$'),
        usage_key != '',
        concat('course-v1:', extract(usage_key, '^block-v1:([^+]+\\+[^+]+\\+[^+]+)\\+type@')),
        ''
    ) AS parsed_course_key,
    JSONExtractString(event, 'actor', 'account', 'name') AS actor_account,
    if(actor_account != '', actor_account, JSONExtractString(event, 'actor', 'mbox')) AS actor
SELECT
    extract(parsed_course_key, '^(?:course|ccx)-v1:([^+]+)\\+') AS org,
    parsed_course_key AS course_key,
    splitByChar('/', JSONExtractString(event, 'verb', 'id'))[-1] AS verb,
    emission_time,
    event_id,
    lower(hex(substring(SHA256(concat(
        assumeNotNull((SELECT argMin(key, created) FROM ${reporting}.pseudonym_key)), '|', actor
    )), 1, 16))) AS learner,
    JSONExtractString(event, 'verb', 'id') AS verb_id,
    object_iri AS object_id,
    JSONExtractString(event, 'object', 'definition', 'type') AS object_type,
    usage_key AS block_id,
    extract(usage_key, 'type@([^+]+)\\+block@') AS block_type,
    JSONExtract(event, 'result', 'score', 'scaled', 'Nullable(Float64)') AS scaled_score,
    JSONExtract(event, 'result', 'success', 'Nullable(Bool)') AS success,
    JSONExtract(event, 'object', 'definition', 'extensions',
        'http://id.tincanapi.com/extension/attempt-id', 'Nullable(Int64)') AS attempts,
    coalesce(
        JSONExtract(event, 'result', 'extensions',
            'https://w3id.org/xapi/video/extensions/time', 'Nullable(Float64)'),
        JSONExtract(event, 'result', 'extensions',
            'https://w3id.org/xapi/video/extensions/time-to', 'Nullable(Float64)')
    ) AS video_time,
    JSONExtract(event, 'context', 'extensions',
        'https://w3id.org/xapi/video/extensions/length', 'Nullable(Float64)') AS video_length,
    JSONExtractString(event, 'object', 'definition', 'extensions',
        'https://w3id.org/xapi/acrossx/extensions/type') AS enrollment_mode,
    JSONExtractString(event, 'result', 'extensions',
        'http://www.tincanapi.co.uk/activitytypes/grade_classification') AS grade_classification
FROM ${reporting}.xapi_feed;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.xapi_feed_mv ${on_cluster}
TO ${reporting}.xapi_feed AS
SELECT event_id, emission_time, event FROM ${xapi}.${xapi_table};

-- Learner status per course. at_risk (docs/clickhouse.md): an active enrollment that has not
-- passed, with no activity for 14 days, or with 3 or more answers of which under half correct.
CREATE VIEW IF NOT EXISTS ${reporting}.learner_course_status ${on_cluster} AS
SELECT org, course_key, learner, enrolled_at, enrollment_mode, is_active, last_visit, grade,
    passed, answers, correct_answers,
    is_active AND NOT passed AND (
        last_visit < now64(6) - INTERVAL 14 DAY OR (answers >= 3 AND correct_answers * 2 < answers)
    ) AS at_risk
FROM (
    SELECT org, course_key, learner,
        nullIf(minMerge(enrolled_at), toDateTime64(0, 6, 'UTC')) AS enrolled_at,
        argMaxMerge(enrollment_mode) AS enrollment_mode,
        uniqExactMerge(enrollment_events) > 0 AND argMaxMerge(enrollment_active) = 1
            AS is_active,
        maxMerge(last_visit) AS last_visit,
        if(uniqExactMerge(grade_events) > 0, argMaxMerge(grade), NULL) AS grade,
        if(uniqExactMerge(pass_events) > 0, argMaxMerge(passed) = 1,
            argMaxMerge(grade_classification) NOT IN ('', 'Fail')) AS passed,
        uniqExactMerge(answers) AS answers,
        uniqExactMerge(correct_answers) AS correct_answers
    FROM ${reporting}.learner_course_state
    GROUP BY org, course_key, learner
);

-- Content engagement per learner and block, with the block's place in the latest outline.
CREATE VIEW IF NOT EXISTS ${reporting}.learner_content_engagement ${on_cluster} AS
SELECT e.org AS org, e.course_key AS course_key, e.learner AS learner, e.block_id AS block_id,
    e.block_type AS block_type, o.display_name AS block_name, o.section_label AS section_label,
    o.subsection_label AS subsection_label, o.unit_label AS unit_label, e.visits AS visits,
    e.answers AS answers, e.correct AS correct, e.best_score AS best_score,
    e.attempts AS attempts, e.video_plays AS video_plays,
    e.video_completions AS video_completions, e.video_position AS video_position,
    e.video_length AS video_length, e.first_seen AS first_seen, e.last_seen AS last_seen
FROM (
    SELECT org, course_key, learner, block_id, block_type,
        uniqExactMerge(visits) AS visits,
        uniqExactMerge(answers) AS answers,
        argMaxMerge(last_success) AS correct,
        maxMerge(best_score) AS best_score,
        maxMerge(max_attempt) AS attempts,
        uniqExactMerge(video_plays) AS video_plays,
        uniqExactMerge(video_completions) AS video_completions,
        maxMerge(video_position) AS video_position,
        maxMerge(video_length) AS video_length,
        minMerge(first_seen) AS first_seen,
        maxMerge(last_seen) AS last_seen
    FROM ${reporting}.learner_block_state
    GROUP BY org, course_key, learner, block_id, block_type
) AS e
LEFT JOIN ${reporting}.course_outline AS o
    ON o.org = e.org AND o.course_key = e.course_key AND o.block_id = e.block_id;

INSERT INTO ${reporting}.xapi_feed
SELECT event_id, emission_time, event FROM ${xapi}.${xapi_table} FINAL;
