-- Incremental analytics at national scale.
--
-- The lifecycle also keeps the study's trace id, who looked at each result and who gave
-- verdicts (idempotent: min of equal values, sets of keys), so that nothing reads the raw
-- events to build the per-study rows of the analytics; and it is indexed finely (1,024 rows
-- a mark), because an incremental run looks up a few thousand studies by key among millions.
-- The table is made anew from the events it holds: every state is idempotent, so this gives
-- exactly what the materialized view gives.
DROP VIEW IF EXISTS lifecycle_mv;
DROP TABLE IF EXISTS lifecycle_next;
CREATE TABLE lifecycle_next
(
    hospital            LowCardinality(String),
    study_key           String,
    product             LowCardinality(String),
    received_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    acquired_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    patient_key         SimpleAggregateFunction(any, String),
    modality            SimpleAggregateFunction(any, LowCardinality(String)),
    body_part           SimpleAggregateFunction(any, LowCardinality(String)),
    age_years           SimpleAggregateFunction(any, Nullable(Float32)),
    sex                 SimpleAggregateFunction(any, LowCardinality(String)),
    manufacturer        SimpleAggregateFunction(any, LowCardinality(String)),
    device_model        SimpleAggregateFunction(any, LowCardinality(String)),
    urgency             SimpleAggregateFunction(any, LowCardinality(String)),
    send_mode           SimpleAggregateFunction(any, LowCardinality(String)),
    instance_count      SimpleAggregateFunction(max, UInt32),
    decided_at          SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    routed_at           SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    routing_outcome     AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    routing_rule        AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    requested_at        SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    attempts            SimpleAggregateFunction(max, UInt16),
    completed_at        SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    -- the first completed inference: (model_version, finding, score, value)
    ai_output           AggregateFunction(argMin, Tuple(String, String, Nullable(Float32), Nullable(Float64)), DateTime64(3, 'UTC')),
    inference_ms        SimpleAggregateFunction(min, Nullable(UInt32)),
    failures            AggregateFunction(uniqExact, UUID),
    failed_at           SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    failure_class       AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    delivered_at        SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    delivery_failed_at  SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    channel             AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    first_viewed_at     SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    viewers             AggregateFunction(uniqExact, String),
    verdict_at          SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    -- the latest verdict: (label, value, agreement)
    verdict             AggregateFunction(argMax, Tuple(String, Nullable(Float64), Nullable(UInt8)), DateTime64(3, 'UTC')),
    last_event_at       SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    trace_id            SimpleAggregateFunction(min, Nullable(String)),
    viewer_keys         AggregateFunction(groupUniqArray, String),
    verdict_readers     AggregateFunction(groupUniqArray, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (hospital, study_key, product)
SETTINGS index_granularity = 1024;

INSERT INTO lifecycle_next
SELECT
    hospital,
    study_key,
    if(type = 'study.received', '', product) AS product,
    minIf(toNullable(occurred_at), type = 'study.received') AS received_at,
    min(acquired_at) AS acquired_at,
    anyIf(patient_key, type = 'study.received') AS patient_key,
    anyIf(modality, type = 'study.received') AS modality,
    anyIf(body_part, type = 'study.received') AS body_part,
    anyIf(age_years, type = 'study.received') AS age_years,
    anyIf(sex, type = 'study.received') AS sex,
    anyIf(manufacturer, type = 'study.received') AS manufacturer,
    anyIf(device_model, type = 'study.received') AS device_model,
    anyIf(urgency, type = 'study.received') AS urgency,
    anyIf(send_mode, type = 'study.received') AS send_mode,
    max(instance_count) AS instance_count,
    minIf(toNullable(occurred_at), type = 'study.routed') AS decided_at,
    minIf(toNullable(occurred_at), type = 'study.routed' AND outcome = 'routed') AS routed_at,
    argMaxStateIf(toString(outcome), occurred_at, type = 'study.routed') AS routing_outcome,
    argMaxStateIf(toString(rule), occurred_at, type = 'study.routed') AS routing_rule,
    minIf(toNullable(occurred_at), type = 'inference.requested') AS requested_at,
    maxIf(attempt, type IN ('inference.requested', 'inference.completed', 'inference.failed')) AS attempts,
    minIf(toNullable(occurred_at), type = 'inference.completed') AS completed_at,
    argMinStateIf((toString(model_version), toString(finding), score, value), occurred_at, type = 'inference.completed') AS ai_output,
    minIf(inference_ms, type = 'inference.completed') AS inference_ms,
    uniqExactStateIf(event_id, type = 'inference.failed') AS failures,
    minIf(toNullable(occurred_at), type = 'inference.failed' AND final = 1) AS failed_at,
    argMaxStateIf(toString(error_class), occurred_at, type = 'inference.failed') AS failure_class,
    minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 1) AS delivered_at,
    minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 0) AS delivery_failed_at,
    argMaxStateIf(toString(channel), occurred_at, type = 'result.delivered') AS channel,
    minIf(toNullable(occurred_at), type = 'result.viewed') AS first_viewed_at,
    uniqExactStateIf(user_key, type = 'result.viewed') AS viewers,
    maxIf(toNullable(occurred_at), type = 'verdict.recorded') AS verdict_at,
    argMaxStateIf((toString(label), value, agreement), occurred_at, type = 'verdict.recorded') AS verdict,
    max(occurred_at) AS last_event_at,
    minIf(toNullable(trace_id), trace_id != '') AS trace_id,
    groupUniqArrayStateIf(user_key, type = 'result.viewed') AS viewer_keys,
    groupUniqArrayStateIf(user_key, type = 'verdict.recorded') AS verdict_readers
FROM events
WHERE study_key != ''
GROUP BY hospital, study_key, product;;

DROP TABLE IF EXISTS lifecycle;
RENAME TABLE lifecycle_next TO lifecycle;

CREATE MATERIALIZED VIEW IF NOT EXISTS lifecycle_mv TO lifecycle AS
SELECT
    hospital,
    study_key,
    if(type = 'study.received', '', product) AS product,
    minIf(toNullable(occurred_at), type = 'study.received') AS received_at,
    min(acquired_at) AS acquired_at,
    anyIf(patient_key, type = 'study.received') AS patient_key,
    anyIf(modality, type = 'study.received') AS modality,
    anyIf(body_part, type = 'study.received') AS body_part,
    anyIf(age_years, type = 'study.received') AS age_years,
    anyIf(sex, type = 'study.received') AS sex,
    anyIf(manufacturer, type = 'study.received') AS manufacturer,
    anyIf(device_model, type = 'study.received') AS device_model,
    anyIf(urgency, type = 'study.received') AS urgency,
    anyIf(send_mode, type = 'study.received') AS send_mode,
    max(instance_count) AS instance_count,
    minIf(toNullable(occurred_at), type = 'study.routed') AS decided_at,
    minIf(toNullable(occurred_at), type = 'study.routed' AND outcome = 'routed') AS routed_at,
    argMaxStateIf(toString(outcome), occurred_at, type = 'study.routed') AS routing_outcome,
    argMaxStateIf(toString(rule), occurred_at, type = 'study.routed') AS routing_rule,
    minIf(toNullable(occurred_at), type = 'inference.requested') AS requested_at,
    maxIf(attempt, type IN ('inference.requested', 'inference.completed', 'inference.failed')) AS attempts,
    minIf(toNullable(occurred_at), type = 'inference.completed') AS completed_at,
    argMinStateIf((toString(model_version), toString(finding), score, value), occurred_at, type = 'inference.completed') AS ai_output,
    minIf(inference_ms, type = 'inference.completed') AS inference_ms,
    uniqExactStateIf(event_id, type = 'inference.failed') AS failures,
    minIf(toNullable(occurred_at), type = 'inference.failed' AND final = 1) AS failed_at,
    argMaxStateIf(toString(error_class), occurred_at, type = 'inference.failed') AS failure_class,
    minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 1) AS delivered_at,
    minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 0) AS delivery_failed_at,
    argMaxStateIf(toString(channel), occurred_at, type = 'result.delivered') AS channel,
    minIf(toNullable(occurred_at), type = 'result.viewed') AS first_viewed_at,
    uniqExactStateIf(user_key, type = 'result.viewed') AS viewers,
    maxIf(toNullable(occurred_at), type = 'verdict.recorded') AS verdict_at,
    argMaxStateIf((toString(label), value, agreement), occurred_at, type = 'verdict.recorded') AS verdict,
    max(occurred_at) AS last_event_at,
    minIf(toNullable(trace_id), trace_id != '') AS trace_id,
    groupUniqArrayStateIf(user_key, type = 'result.viewed') AS viewer_keys,
    groupUniqArrayStateIf(user_key, type = 'verdict.recorded') AS verdict_readers
FROM events
WHERE study_key != ''
GROUP BY hospital, study_key, product;

-- What each insert touched, by ingest time: the studies (whose cells the next analytics run
-- recomputes) and the gateway days (heartbeats). Kept 35 days; a run after a longer pause rebuilds.
CREATE TABLE IF NOT EXISTS touched
(
    ingested_at  DateTime64(3, 'UTC'),
    hospital     LowCardinality(String),
    study_key    String,
    hb_component LowCardinality(String),
    hb_day       Date
)
ENGINE = MergeTree
ORDER BY ingested_at
TTL toDateTime(ingested_at) + INTERVAL 35 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS touched_mv TO touched AS
SELECT max(ingested_at) AS ingested_at, hospital, study_key,
       if(study_key = '', component, '') AS hb_component,
       if(study_key = '', toDate(occurred_at), toDate(0)) AS hb_day
FROM events
GROUP BY hospital, study_key, hb_component, hb_day;

-- Where each analytics step got to (the ingest time up to which it has counted everything),
-- and the settings it counted with: another setting means a rebuild.
CREATE TABLE IF NOT EXISTS analytics_state
(
    step       LowCardinality(String),
    watermark  DateTime64(3, 'UTC'),
    settings   String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY step;

-- The studies one run refreshes (scratch of the run in progress).
CREATE TABLE IF NOT EXISTS dirty_studies
(
    hospital  LowCardinality(String),
    study_key String
)
ENGINE = MergeTree
ORDER BY (hospital, study_key);

-- The hospital x product x week cells whose studies changed, by when: each job recomputes
-- the cells marked after its own watermark.
CREATE TABLE IF NOT EXISTS dirty_cells
(
    marked_at DateTime64(3, 'UTC'),
    hospital  LowCardinality(String),
    product   LowCardinality(String),
    week      Date
)
ENGINE = MergeTree
ORDER BY (marked_at, hospital, product, week)
TTL toDateTime(marked_at) + INTERVAL 35 DAY;

-- One row per routed study x product, flattened from the lifecycle, ordered by cell so that a
-- hospital x product x week reads only its own studies: what every job counts, and what the
-- breaches table lists. A study that moves to another week leaves a tombstone (is_deleted).
CREATE TABLE IF NOT EXISTS study_cases
(
    hospital          LowCardinality(String),
    product           LowCardinality(String),
    week              Date,
    study_key         String,
    received_at       DateTime64(3, 'UTC'),
    acquired_at       Nullable(DateTime64(3, 'UTC')),
    urgency           LowCardinality(String),
    send_mode         LowCardinality(String),
    modality          LowCardinality(String),
    body_part         LowCardinality(String),
    age_band          LowCardinality(String),
    sex               LowCardinality(String),
    manufacturer      LowCardinality(String),
    routed_at         Nullable(DateTime64(3, 'UTC')),
    completed_at      Nullable(DateTime64(3, 'UTC')),
    delivered_at      Nullable(DateTime64(3, 'UTC')),
    first_viewed_at   Nullable(DateTime64(3, 'UTC')),
    verdict_at        Nullable(DateTime64(3, 'UTC')),
    model_version     LowCardinality(String),
    finding           LowCardinality(String),
    score             Nullable(Float32),
    ai_value          Nullable(Float64),
    verdict_label     LowCardinality(String),
    verdict_value     Nullable(Float64),
    viewer_keys       Array(String),
    verdict_readers   Array(String),
    trace_id          String,
    -- time to result (acquisition, or receipt where there is no acquisition time, to the result
    -- in the PACS or to inference where nothing is delivered), NULL when impossible
    minutes           Nullable(Float64),
    impossible        UInt8,
    acquired_to_received_min  Nullable(Float64),
    received_to_routed_min    Nullable(Float64),
    routed_to_inferred_min    Nullable(Float64),
    inferred_to_delivered_min Nullable(Float64),
    delivered_to_viewed_min   Nullable(Float64),
    computed_at       DateTime64(3, 'UTC'),
    is_deleted        UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
PARTITION BY toYYYYMM(week)
ORDER BY (hospital, product, week, study_key);

-- The rows one incremental run refreshes, before they go into study_cases (scratch of the run).
CREATE TABLE IF NOT EXISTS study_cases_refresh AS study_cases
ENGINE = MergeTree
ORDER BY (hospital, study_key);

-- The norm time to result per product and urgency that the analytics last ran with: what the
-- breaches are measured against.
CREATE TABLE IF NOT EXISTS turnaround_norms
(
    product LowCardinality(String),
    urgency LowCardinality(String),
    norm_min Float64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (product, urgency);

-- Where each study x product sits in study_cases: found by the study's key, to leave a
-- tombstone where a study's row used to be.
CREATE TABLE IF NOT EXISTS study_index
(
    hospital    LowCardinality(String),
    study_key   String,
    product     LowCardinality(String),
    week        Date,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, study_key, product)
SETTINGS index_granularity = 1024;

-- The result tables become cells (hospital x product x week, and what is counted within)
-- and roll-ups of cells. Each recomputed cell replaces all its rows in one insert: tombstones
-- for the rows it had, the new rows one millisecond newer.
DROP TABLE IF EXISTS adoption_weekly;
CREATE TABLE adoption_weekly
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
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week);

CREATE TABLE IF NOT EXISTS user_usage_weekly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    user_key String,
    cases UInt32,
    viewed UInt32,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, user_key);

DROP TABLE IF EXISTS user_usage;
CREATE TABLE user_usage
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    user_key String,
    cases UInt32,
    viewed UInt32,
    share Float64,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, user_key);

DROP TABLE IF EXISTS turnaround_weekly;
CREATE TABLE turnaround_weekly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    urgency LowCardinality(String),
    send_mode LowCardinality(String),
    week Date,
    n UInt32,
    excluded UInt32,
    within UInt32,
    p50_min Float64,
    p90_min Float64,
    norm_min Float64,
    within_norm Float64,
    -- log-scale histograms (bin = round(200 * ln(1 + minutes))) that roll up exactly over weeks
    total_hist Map(UInt16, UInt32),
    acquired_to_received_hist Map(UInt16, UInt32),
    received_to_routed_hist Map(UInt16, UInt32),
    routed_to_inferred_hist Map(UInt16, UInt32),
    inferred_to_delivered_hist Map(UInt16, UInt32),
    delivered_to_viewed_hist Map(UInt16, UInt32),
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, urgency, send_mode);

DROP TABLE IF EXISTS turnaround;
CREATE TABLE turnaround
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    urgency LowCardinality(String),
    send_mode LowCardinality(String),
    n UInt32,
    excluded UInt32,
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
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, urgency, send_mode);

DROP TABLE IF EXISTS turnaround_studies;

DROP TABLE IF EXISTS availability_daily;
CREATE TABLE availability_daily
(
    hospital LowCardinality(String),
    component LowCardinality(String),
    day Date,
    heartbeats UInt32,
    up UInt32,
    uptime Float64,
    target Float64,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, component, day);

CREATE TABLE IF NOT EXISTS performance_cells
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    model_version LowCardinality(String),
    month Date,
    subgroup LowCardinality(String),
    tp UInt32,
    fn UInt32,
    tn UInt32,
    fp UInt32,
    n_cont UInt32,
    sum_d Float64,
    sum_d2 Float64,
    sum_ad Float64,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, model_version, month, subgroup);

DROP TABLE IF EXISTS performance;
CREATE TABLE performance
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
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, model_version, metric, subgroup, window_start);

-- What the label-free monitors read, per hospital x product x week x model version: AI
-- outputs and positives, scores in hundredths, and the input mix.
CREATE TABLE IF NOT EXISTS drift_cells
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    model_version LowCardinality(String),
    n UInt32,
    positives UInt32,
    scores Map(UInt8, UInt32),
    mix Map(String, UInt32),
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, model_version);

-- The state of each sensitivity and specificity monitor at the end of each week, so that a
-- run replays only from the earliest week that changed.
CREATE TABLE IF NOT EXISTS drift_checkpoints
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

DROP TABLE IF EXISTS drift;
CREATE TABLE drift
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
    peak Float64 DEFAULT 0,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, model_version, metric);
