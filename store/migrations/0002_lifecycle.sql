-- The life of each study x product, kept as idempotent aggregate states so that an event
-- delivered twice changes nothing: min/max/any of equal values, argMax, uniqExact.
-- Study-level facts (from study.received) sit under product = ''; the view
-- study_product_lifecycle joins them onto each product's row.
CREATE TABLE IF NOT EXISTS lifecycle
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
    last_event_at       SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (hospital, study_key, product);

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
    max(occurred_at) AS last_event_at
FROM events
WHERE study_key != ''
GROUP BY hospital, study_key, product;

-- One row per study x product with the study's own facts joined on: what analytics read.
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
        min(decided_at) AS decided_at,
        min(routed_at) AS routed_at,
        argMaxMerge(routing_outcome) AS routing_outcome,
        argMaxMerge(routing_rule) AS routing_rule,
        min(requested_at) AS requested_at,
        max(attempts) AS attempts,
        min(completed_at) AS completed_at,
        argMinMerge(ai_output) AS ai_output,
        min(inference_ms) AS inference_ms,
        uniqExactMerge(failures) AS failures,
        min(failed_at) AS failed_at,
        argMaxMerge(failure_class) AS failure_class,
        min(delivered_at) AS delivered_at,
        min(delivery_failed_at) AS delivery_failed_at,
        argMaxMerge(channel) AS channel,
        min(first_viewed_at) AS first_viewed_at,
        uniqExactMerge(viewers) AS viewers,
        max(verdict_at) AS verdict_at,
        argMaxMerge(verdict) AS verdict,
        max(last_event_at) AS last_event_at
    FROM lifecycle
    WHERE product != ''
    GROUP BY hospital, study_key, product
) AS p
LEFT JOIN
(
    SELECT
        hospital, study_key,
        min(received_at) AS received_at,
        min(acquired_at) AS acquired_at,
        any(patient_key) AS patient_key,
        any(modality) AS modality,
        any(body_part) AS body_part,
        any(age_years) AS age_years,
        any(sex) AS sex,
        any(manufacturer) AS manufacturer,
        any(device_model) AS device_model,
        any(urgency) AS urgency,
        any(send_mode) AS send_mode,
        max(instance_count) AS instance_count,
        max(last_event_at) AS last_event_at
    FROM lifecycle
    WHERE product = ''
    GROUP BY hospital, study_key
) AS s
ON p.hospital = s.hospital AND p.study_key = s.study_key;
