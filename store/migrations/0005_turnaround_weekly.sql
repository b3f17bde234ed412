-- Time to result per week: what the dashboards draw against the norm lines.
CREATE TABLE IF NOT EXISTS turnaround_weekly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    urgency LowCardinality(String),
    send_mode LowCardinality(String),
    week Date,
    n UInt32,
    p50_min Float64,
    p90_min Float64,
    norm_min Float64,
    within_norm Float64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, product, urgency, send_mode, week);
