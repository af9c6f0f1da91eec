-- Raw xAPI statements written by Ralph. Ralph may retry a batch: equal
-- (emission_time, event_id) rows collapse on merge (read with FINAL to de-duplicate now).
CREATE TABLE IF NOT EXISTS ${xapi}.${xapi_table} ${on_cluster} (
    event_id UUID,
    emission_time DateTime64(6, 'UTC'),
    event String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(emission_time)
ORDER BY (emission_time, event_id);
