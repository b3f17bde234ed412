-- The time to result of each routed study against its norm, with the trace of the
-- study: what the breaches table of the dashboards lists.
CREATE TABLE IF NOT EXISTS turnaround_studies
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    study_key String,
    received_at DateTime64(3, 'UTC'),
    urgency LowCardinality(String),
    send_mode LowCardinality(String),
    minutes Float64,
    norm_min Float64,
    late UInt8,
    trace_id String,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (hospital, product, study_key);
