-- Tables of the tagging sinks (openedx-learning's Taxonomy, Tag and ObjectTag).
-- Latest-state tables like the other sinks: ReplacingMergeTree keyed by the LMS primary key,
-- versioned by time_last_dumped. A deleted LMS row is written once more with is_deleted = 1:
-- SELECT ... FINAL leaves it out (ReplacingMergeTree's is_deleted column).
-- taxonomy / tag / parent are the LMS ids (NULL once the taxonomy or tag is gone), lineage is
-- the JSON list of tag values from the root down to the tag.

CREATE TABLE IF NOT EXISTS ${event_sink}.taxonomy ${on_cluster} (
    id Int64,
    name String,
    is_deleted UInt8,
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped, is_deleted)
ORDER BY (id);

CREATE TABLE IF NOT EXISTS ${event_sink}.tag ${on_cluster} (
    id Int64,
    taxonomy Nullable(Int64),
    parent Nullable(Int64),
    value String,
    external_id String,
    lineage String,
    is_deleted UInt8,
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped, is_deleted)
ORDER BY (id);

CREATE TABLE IF NOT EXISTS ${event_sink}.object_tag ${on_cluster} (
    id Int64,
    object_id String,
    taxonomy Nullable(Int64),
    tag Nullable(Int64),
    _value String,
    _export_id String,
    lineage String,
    is_deleted UInt8,
    dump_id UUID,
    time_last_dumped DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(time_last_dumped, is_deleted)
ORDER BY (id);
