-- Drift monitors with episodes. The label-free monitors read rolling windows of days: their
-- counts are kept per day within each hospital x product x week cell.
DROP TABLE IF EXISTS drift_cells;
CREATE TABLE drift_cells
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    model_version LowCardinality(String),
    day Date,
    n UInt32,
    positives UInt32,
    scores Map(UInt8, UInt32),
    mix Map(String, UInt32),
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, model_version, day);

-- What each monitor states beside its status: the observed reference value with its 95 %
-- interval and the value the chart is tuned from; the in-control run length at the estimated
-- reference (days); the expected delays for falls of 0.05 and 0.20 (0.10 is expected_delay_days);
-- and the estimated onset of the open episode.
ALTER TABLE drift ADD COLUMN IF NOT EXISTS baseline_low Float64 DEFAULT 0;
ALTER TABLE drift ADD COLUMN IF NOT EXISTS baseline_high Float64 DEFAULT 0;
ALTER TABLE drift ADD COLUMN IF NOT EXISTS chart_baseline Float64 DEFAULT 0;
ALTER TABLE drift ADD COLUMN IF NOT EXISTS arl_days Float64 DEFAULT 0;
ALTER TABLE drift ADD COLUMN IF NOT EXISTS delay_005_days Float64 DEFAULT 0;
ALTER TABLE drift ADD COLUMN IF NOT EXISTS delay_020_days Float64 DEFAULT 0;
ALTER TABLE drift ADD COLUMN IF NOT EXISTS onset Nullable(DateTime64(3, 'UTC'));

-- The alarm episodes of the sensitivity and specificity monitors: from the first signal to the
-- close (NULL while open), with the estimated onset, the fall of the chart that signalled, the
-- highest evidence (in units of its threshold) and the cases seen in the episode.
CREATE TABLE IF NOT EXISTS drift_episodes
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    model_version LowCardinality(String),
    metric LowCardinality(String),
    onset DateTime64(3, 'UTC'),
    first_signal DateTime64(3, 'UTC'),
    closed Nullable(DateTime64(3, 'UTC')),
    shift Float64,
    peak Float64,
    cases UInt32,
    failures UInt32,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, model_version, metric, first_signal);
