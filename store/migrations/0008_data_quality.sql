-- The data's own quality: each per-study row names the acquiring device (make and model),
-- and a cell table per hospital x product x week x device counts the durations the clocks
-- make impossible and keeps the histogram of the acquisition's lead over the receipt, from
-- which the dashboards estimate the device's clock offset. The per-study rows are made anew
-- by the next analytics run (their shape changed), which also fills the new table.
ALTER TABLE study_cases ADD COLUMN IF NOT EXISTS device_model LowCardinality(String) DEFAULT '' AFTER manufacturer;
ALTER TABLE study_cases_refresh ADD COLUMN IF NOT EXISTS device_model LowCardinality(String) DEFAULT '' AFTER manufacturer;

CREATE TABLE IF NOT EXISTS data_quality_weekly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    manufacturer LowCardinality(String),
    device_model LowCardinality(String),
    -- study x product results with a time to result, as turnaround counts them
    results UInt32,
    -- acquisition after the receipt, or after the result: excluded from the time to result
    impossible UInt32,
    -- a later stage that ends before it starts (the platform's own clocks)
    negative_stages UInt32,
    -- minutes by which the acquisition time leads the receipt (negative: the usual gap),
    -- rounded, for automatic sends only (a manual send adds a person's delay)
    lead_hist Map(Int32, UInt32),
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, manufacturer, device_model);
