-- Results of the analytics jobs, one table per kind of result. Each run recomputes its
-- window and inserts with a newer computed_at; ReplacingMergeTree keeps the newest row per
-- key, so a run repeated, or a late verdict counted in a rerun, replaces what was there.
CREATE TABLE IF NOT EXISTS adoption_weekly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    eligible UInt32,
    inferred UInt32,
    delivered UInt32,
    viewed UInt32,
    verdicts UInt32,
    rate Float64,
    ci_low Float64,
    ci_high Float64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, product, week);

CREATE TABLE IF NOT EXISTS user_usage
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    user_key String,
    cases UInt32,
    viewed UInt32,
    share Float64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, product, user_key);

CREATE TABLE IF NOT EXISTS turnaround
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    urgency LowCardinality(String),
    send_mode LowCardinality(String),
    n UInt32,
    p50_min Float64,
    p90_min Float64,
    p95_min Float64,
    norm_min Float64,
    within_norm Float64,
    acquired_to_received_p50_min Float64,
    received_to_routed_p50_min Float64,
    routed_to_inferred_p50_min Float64,
    inferred_to_delivered_p50_min Float64,
    delivered_to_viewed_p50_min Float64,
    window_start Date,
    window_end Date,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, product, urgency, send_mode);

CREATE TABLE IF NOT EXISTS availability_daily
(
    hospital LowCardinality(String),
    component LowCardinality(String),
    day Date,
    heartbeats UInt32,
    up UInt32,
    uptime Float64,
    target Float64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, component, day);

CREATE TABLE IF NOT EXISTS performance
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    model_version LowCardinality(String),
    metric LowCardinality(String),
    subgroup LowCardinality(String),
    window_start Date,
    window_end Date,
    n UInt32,
    value Float64,
    ci_low Float64,
    ci_high Float64,
    small_cell UInt8,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, product, model_version, metric, subgroup, window_start);

CREATE TABLE IF NOT EXISTS drift
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    model_version LowCardinality(String),
    metric LowCardinality(String),
    baseline Float64,
    baseline_n UInt32,
    n UInt32,
    statistic Float64,
    threshold Float64,
    status LowCardinality(String),
    since Nullable(DateTime64(3, 'UTC')),
    target_arl_days Float64,
    expected_delay_days Float64,
    min_detectable Float64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, product, model_version, metric);
