-- The state of each label-free monitor (positive share, score distribution, input mix) at the
-- end of each week, so that a run tests only the windows from the earliest week that changed
-- instead of every window since the reference. Like drift_checkpoints; the next analytics run
-- fills it (a run that finds no checkpoint replays the monitor from its start).
CREATE TABLE IF NOT EXISTS drift_label_free_checkpoints
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    model_version LowCardinality(String),
    week Date,
    state String,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, model_version, week);
