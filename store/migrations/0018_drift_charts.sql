-- The charts of each drift reference (one per hospital x product x model version x metric x
-- reference span) and, once simulated, their stated figures, so that a new process (`aifi
-- analytics run` from cron) does not make again every touched reference's charts: a run reads
-- the rows of the groups it touches, uses a row only when its key (the reference's counts and
-- volume, every setting the charts depend on and the version of how they are made:
-- analytics/drift.ts chartsKey) is the key of
-- the reference at hand, and writes the rows whose charts or figures it made. A cache: one row
-- per reference in use, rewritten when its counts or the settings change; a rebuild does not
-- empty it (a row of other counts or settings is never used). Empty, it is filled by the next run.
CREATE TABLE IF NOT EXISTS drift_charts
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    model_version LowCardinality(String),
    metric LowCardinality(String),
    weeks UInt16,
    key String,
    charts String,
    figures String,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, model_version, metric, weeks);
