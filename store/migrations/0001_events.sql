-- The raw event log: one row per event, deduplicated on event_id.
-- Typed columns for what analytics filter and group on; the whole event as JSON in `payload`.
-- ReplacingMergeTree collapses a replayed event (same sorting key) at merge time; read with FINAL
-- or count distinct event_id for exact figures before a merge.
CREATE TABLE IF NOT EXISTS events
(
    event_id        UUID,
    schema_version  UInt8,
    type            LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    hospital        LowCardinality(String),
    source          LowCardinality(String),
    trace_id        String DEFAULT '',
    study_key       String DEFAULT '',
    product         LowCardinality(String) DEFAULT '',
    patient_key     String DEFAULT '',
    modality        LowCardinality(String) DEFAULT '',
    body_part       LowCardinality(String) DEFAULT '',
    age_years       Nullable(Float32),
    sex             LowCardinality(String) DEFAULT '',
    manufacturer    LowCardinality(String) DEFAULT '',
    device_model    LowCardinality(String) DEFAULT '',
    contrast        Nullable(UInt8),
    urgency         LowCardinality(String) DEFAULT '',
    send_mode       LowCardinality(String) DEFAULT '',
    instance_count  UInt32 DEFAULT 0,
    acquired_at     Nullable(DateTime64(3, 'UTC')),
    outcome         LowCardinality(String) DEFAULT '',
    rule            LowCardinality(String) DEFAULT '',
    model_version   LowCardinality(String) DEFAULT '',
    finding         LowCardinality(String) DEFAULT '',
    score           Nullable(Float32),
    value           Nullable(Float64),
    label           LowCardinality(String) DEFAULT '',
    agreement       Nullable(UInt8),
    error_class     LowCardinality(String) DEFAULT '',
    retryable       Nullable(UInt8),
    final           Nullable(UInt8),
    attempt         UInt16 DEFAULT 0,
    channel         LowCardinality(String) DEFAULT '',
    acknowledged    Nullable(UInt8),
    user_key        String DEFAULT '',
    role            LowCardinality(String) DEFAULT '',
    component       LowCardinality(String) DEFAULT '',
    status          LowCardinality(String) DEFAULT '',
    routing_ms      Nullable(UInt32),
    queued_ms       Nullable(UInt32),
    inference_ms    Nullable(UInt32),
    total_ms        Nullable(UInt32),
    delivery_ms     Nullable(UInt32),
    payload         String CODEC(ZSTD(3)),
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (hospital, type, toDate(occurred_at), event_id);
