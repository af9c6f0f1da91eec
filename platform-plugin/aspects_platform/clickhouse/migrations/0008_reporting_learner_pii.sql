-- Names and emails of learners, by pseudonym, for the dashboards' learner lists. Filled only
-- from the PII sink tables (user_profile, external_id): empty unless PII is on
-- (ASPECTS_ENABLE_PII / EVENT_SINK_CLICKHOUSE_PII_MODELS). A retired user's rows are deleted
-- here by the retirement sink, with those of the sink tables (docs/clickhouse.md).
CREATE TABLE IF NOT EXISTS ${reporting}.learner_pii ${on_cluster} (
    user_id Int64,
    learner String,
    username String,
    name String,
    email String,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped)
ORDER BY user_id;

-- A profile joined with the user's xAPI external id, from whichever side was dumped last.
CREATE TABLE IF NOT EXISTS ${reporting}.learner_pii_feed ${on_cluster} (
    user_id Int64,
    external_user_id UUID,
    username String,
    name String,
    email String,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = Null;

-- learner: the same pseudonym as in xapi_events (keyed hash of ERB's xAPI external id).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.learner_pii_mv ${on_cluster}
TO ${reporting}.learner_pii AS
SELECT user_id,
    lower(hex(substring(SHA256(concat(
        assumeNotNull((SELECT argMin(key, created) FROM ${reporting}.pseudonym_key)), '|',
        toString(external_user_id)
    )), 1, 16))) AS learner,
    username, name, email, time_last_dumped
FROM ${reporting}.learner_pii_feed;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.learner_pii_profile_mv ${on_cluster}
TO ${reporting}.learner_pii_feed AS
SELECT p.user_id AS user_id, x.external_user_id AS external_user_id, p.username AS username,
    p.name AS name, p.email AS email,
    greatest(p.time_last_dumped, x.dumped) AS time_last_dumped
FROM ${event_sink}.user_profile AS p
INNER JOIN (
    SELECT user_id, argMax(external_user_id, time_last_dumped) AS external_user_id,
        max(time_last_dumped) AS dumped
    FROM ${event_sink}.external_id WHERE external_id_type = 'xapi' GROUP BY user_id
) AS x ON x.user_id = p.user_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${reporting}.learner_pii_external_id_mv ${on_cluster}
TO ${reporting}.learner_pii_feed AS
SELECT x.user_id AS user_id, x.external_user_id AS external_user_id, p.username AS username,
    p.name AS name, p.email AS email, greatest(p.dumped, x.time_last_dumped) AS time_last_dumped
FROM ${event_sink}.external_id AS x
INNER JOIN (
    SELECT user_id, argMax(username, time_last_dumped) AS username,
        argMax(name, time_last_dumped) AS name, argMax(email, time_last_dumped) AS email,
        max(time_last_dumped) AS dumped
    FROM ${event_sink}.user_profile GROUP BY user_id
) AS p ON p.user_id = x.user_id
WHERE x.external_id_type = 'xapi';

INSERT INTO ${reporting}.learner_pii_feed
SELECT p.user_id, x.external_user_id, p.username, p.name, p.email,
    greatest(p.time_last_dumped, x.time_last_dumped)
FROM (SELECT * FROM ${event_sink}.user_profile FINAL) AS p
INNER JOIN (SELECT * FROM ${event_sink}.external_id FINAL WHERE external_id_type = 'xapi') AS x
    ON x.user_id = p.user_id;
