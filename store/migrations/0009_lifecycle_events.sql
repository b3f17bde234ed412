-- The lifecycle becomes the study events themselves, ordered by study, instead of aggregate
-- states made at insert.
--
-- The materialized view used to GROUP BY every inserted block into some 40 aggregate states per
-- study x product, which cost about as much as the insert into `events` itself. Now it only
-- copies each study event's typed columns (not the payload) into a table ordered by hospital x
-- study x product; the aggregation happens when something reads: the per-study rows of the
-- analytics (made for the touched studies only, or for everything in a rebuild) and the view
-- `study_product_lifecycle`. Every aggregate read from it is idempotent (min, max, any, argMax,
-- distinct counts and sets), so an event delivered twice still changes no figure.
-- The table is made anew from the events it holds.
DROP VIEW IF EXISTS lifecycle_mv;
DROP VIEW IF EXISTS study_product_lifecycle;
DROP TABLE IF EXISTS lifecycle_next;
CREATE TABLE lifecycle_next
(
    hospital        LowCardinality(String),
    study_key       String,
    -- '' for the study's own events (study.received, study.deleted)
    product         LowCardinality(String),
    type            LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    event_id        UUID,
    trace_id        String,
    patient_key     String,
    modality        LowCardinality(String),
    body_part       LowCardinality(String),
    age_years       Nullable(Float32),
    sex             LowCardinality(String),
    manufacturer    LowCardinality(String),
    device_model    LowCardinality(String),
    urgency         LowCardinality(String),
    send_mode       LowCardinality(String),
    instance_count  UInt32,
    acquired_at     Nullable(DateTime64(3, 'UTC')),
    outcome         LowCardinality(String),
    rule            LowCardinality(String),
    attempt         UInt16,
    model_version   LowCardinality(String),
    finding         LowCardinality(String),
    score           Nullable(Float32),
    value           Nullable(Float64),
    inference_ms    Nullable(UInt32),
    error_class     LowCardinality(String),
    final           Nullable(UInt8),
    channel         LowCardinality(String),
    acknowledged    Nullable(UInt8),
    user_key        String,
    label           LowCardinality(String),
    agreement       Nullable(UInt8)
)
ENGINE = MergeTree
ORDER BY (hospital, study_key, product)
SETTINGS index_granularity = 1024;

INSERT INTO lifecycle_next
SELECT hospital, study_key, if(type = 'study.received', '', product) AS product, type, occurred_at, event_id, trace_id, patient_key,
       modality, body_part, age_years, sex, manufacturer, device_model, urgency, send_mode, instance_count, acquired_at,
       outcome, rule, attempt, model_version, finding, score, value, inference_ms, error_class, final, channel, acknowledged,
       user_key, label, agreement
FROM events
WHERE study_key != '';

DROP TABLE IF EXISTS lifecycle;
RENAME TABLE lifecycle_next TO lifecycle;

CREATE MATERIALIZED VIEW IF NOT EXISTS lifecycle_mv TO lifecycle AS
SELECT hospital, study_key, if(type = 'study.received', '', product) AS product, type, occurred_at, event_id, trace_id, patient_key,
       modality, body_part, age_years, sex, manufacturer, device_model, urgency, send_mode, instance_count, acquired_at,
       outcome, rule, attempt, model_version, finding, score, value, inference_ms, error_class, final, channel, acknowledged,
       user_key, label, agreement
FROM events
WHERE study_key != '';

-- One row per study x product with the study's own facts joined on, aggregated from the events
-- as the materialized view's states used to be.
CREATE VIEW IF NOT EXISTS study_product_lifecycle AS
SELECT
    p.hospital AS hospital,
    p.study_key AS study_key,
    p.product AS product,
    s.received_at AS received_at,
    s.acquired_at AS acquired_at,
    s.patient_key AS patient_key,
    s.modality AS modality,
    s.body_part AS body_part,
    s.age_years AS age_years,
    s.sex AS sex,
    s.manufacturer AS manufacturer,
    s.device_model AS device_model,
    s.urgency AS urgency,
    s.send_mode AS send_mode,
    s.instance_count AS instance_count,
    p.decided_at AS decided_at,
    p.routed_at AS routed_at,
    p.routing_outcome AS routing_outcome,
    p.routing_rule AS routing_rule,
    p.requested_at AS requested_at,
    p.attempts AS attempts,
    p.completed_at AS completed_at,
    tupleElement(p.ai_output, 1) AS model_version,
    tupleElement(p.ai_output, 2) AS finding,
    tupleElement(p.ai_output, 3) AS score,
    tupleElement(p.ai_output, 4) AS ai_value,
    p.inference_ms AS inference_ms,
    p.failures AS failures,
    p.failed_at AS failed_at,
    p.failure_class AS failure_class,
    p.delivered_at AS delivered_at,
    p.delivery_failed_at AS delivery_failed_at,
    p.channel AS channel,
    p.first_viewed_at AS first_viewed_at,
    p.viewers AS viewers,
    p.verdict_at AS verdict_at,
    tupleElement(p.verdict, 1) AS verdict_label,
    tupleElement(p.verdict, 2) AS verdict_value,
    tupleElement(p.verdict, 3) AS verdict_agreement,
    greatest(p.last_event_at, s.last_event_at) AS last_event_at
FROM
(
    SELECT
        hospital, study_key, product,
        minIf(toNullable(occurred_at), type = 'study.routed') AS decided_at,
        minIf(toNullable(occurred_at), type = 'study.routed' AND outcome = 'routed') AS routed_at,
        argMaxIf(toString(outcome), occurred_at, type = 'study.routed') AS routing_outcome,
        argMaxIf(toString(rule), occurred_at, type = 'study.routed') AS routing_rule,
        minIf(toNullable(occurred_at), type = 'inference.requested') AS requested_at,
        maxIf(attempt, type IN ('inference.requested', 'inference.completed', 'inference.failed')) AS attempts,
        minIf(toNullable(occurred_at), type = 'inference.completed') AS completed_at,
        argMinIf((toString(model_version), toString(finding), score, value), occurred_at, type = 'inference.completed') AS ai_output,
        minIf(inference_ms, type = 'inference.completed') AS inference_ms,
        uniqExactIf(event_id, type = 'inference.failed') AS failures,
        minIf(toNullable(occurred_at), type = 'inference.failed' AND final = 1) AS failed_at,
        argMaxIf(toString(error_class), occurred_at, type = 'inference.failed') AS failure_class,
        minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 1) AS delivered_at,
        minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 0) AS delivery_failed_at,
        argMaxIf(toString(channel), occurred_at, type = 'result.delivered') AS channel,
        minIf(toNullable(occurred_at), type = 'result.viewed') AS first_viewed_at,
        uniqExactIf(user_key, type = 'result.viewed') AS viewers,
        maxIf(toNullable(occurred_at), type = 'verdict.recorded') AS verdict_at,
        argMaxIf((toString(label), value, agreement), occurred_at, type = 'verdict.recorded') AS verdict,
        max(occurred_at) AS last_event_at
    FROM lifecycle
    WHERE product != ''
    GROUP BY hospital, study_key, product
) AS p
LEFT JOIN
(
    SELECT
        hospital, study_key,
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
        max(occurred_at) AS last_event_at
    FROM lifecycle
    WHERE product = ''
    GROUP BY hospital, study_key
) AS s
ON p.hospital = s.hospital AND p.study_key = s.study_key;
