-- Written by the load-test commands: one row per run event, one row per stats tick.
CREATE TABLE IF NOT EXISTS ${event_sink}.load_test_runs ${on_cluster} (
    run_id String,
    timestamp DateTime64(6, 'UTC') DEFAULT now64(6),
    event_type LowCardinality(String),
    extra String
) ENGINE = MergeTree()
ORDER BY (run_id, timestamp);

CREATE TABLE IF NOT EXISTS ${event_sink}.load_test_stats ${on_cluster} (
    run_id String,
    timestamp DateTime64(6, 'UTC') DEFAULT now64(6),
    stats String
) ENGINE = MergeTree()
ORDER BY (run_id, timestamp);
