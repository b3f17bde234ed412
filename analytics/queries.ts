import { wilsonSql } from './wilson.ts';

/**
 * The SQL of the analytics jobs, one constant per result, named after the table
 * it fills. Every query reads the window [{from}, {to}) and binds its values.
 */

const adoptionCi = wilsonSql('viewed', 'eligible');

/** Adoption per hospital x product x week: the funnel, and viewed / eligible with its Wilson interval. */
export const ADOPTION_WEEKLY = `
INSERT INTO adoption_weekly
SELECT hospital, product, toMonday(received_at) AS week,
       toUInt32(countIf(routing_outcome = 'routed')) AS eligible,
       toUInt32(countIf(routing_outcome = 'routed' AND completed_at IS NOT NULL)) AS inferred,
       toUInt32(countIf(routing_outcome = 'routed' AND delivered_at IS NOT NULL)) AS delivered,
       toUInt32(countIf(routing_outcome = 'routed' AND first_viewed_at IS NOT NULL)) AS viewed,
       toUInt32(countIf(routing_outcome = 'routed' AND verdict_at IS NOT NULL)) AS verdicts,
       if(eligible = 0, 0, viewed / eligible) AS rate,
       ${adoptionCi.low} AS ci_low,
       ${adoptionCi.high} AS ci_high,
       now64(3) AS computed_at
FROM study_product_lifecycle
WHERE received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, product, week
HAVING eligible > 0`;

/** Per reader: the cases they gave a verdict on, and in how many they had looked at the AI result. */
export const USER_USAGE = `
INSERT INTO user_usage
SELECT v.hospital, v.product, v.user_key,
       toUInt32(count()) AS cases,
       toUInt32(countIf(w.study_key != '')) AS viewed,
       viewed / cases AS share,
       now64(3) AS computed_at
FROM
(
    SELECT DISTINCT hospital, product, study_key, user_key FROM events
    WHERE type = 'verdict.recorded' AND occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at < {to:DateTime64(3, 'UTC')}
) AS v
LEFT JOIN
(
    SELECT DISTINCT hospital, product, study_key, user_key FROM events WHERE type = 'result.viewed'
) AS w
ON v.hospital = w.hospital AND v.product = w.product AND v.study_key = w.study_key AND v.user_key = w.user_key
GROUP BY v.hospital, v.product, v.user_key
SETTINGS join_use_nulls = 0`;

/** Over study_product_lifecycle: a study's time to result in minutes, from acquisition to the result in the PACS, or to inference where nothing is delivered. */
const TIME_TO_RESULT_MIN = "dateDiff('millisecond', coalesce(acquired_at, received_at), coalesce(delivered_at, completed_at)) / 60000";

/** The time to result and the norm of the study's product and urgency. */
const timeToResult = `WITH
    ${TIME_TO_RESULT_MIN} AS total_min,
    transform(concat(product, '|', urgency), {norm_keys:Array(String)}, {norm_values:Array(Float64)}, 60.0) AS norm`;

/**
 * Turnaround per hospital x product x urgency x send mode: the stages and the
 * time to result (acquisition to result in the PACS, or to inference where the
 * result is not delivered), against the norm for the product and urgency.
 */
export const TURNAROUND = `
INSERT INTO turnaround
${timeToResult}
SELECT hospital, product, urgency, send_mode,
       toUInt32(count()) AS n,
       quantileExact(0.5)(total_min) AS p50_min,
       quantileExact(0.9)(total_min) AS p90_min,
       quantileExact(0.95)(total_min) AS p95_min,
       any(norm) AS norm_min,
       countIf(total_min <= norm) / n AS within_norm,
       quantileExactIf(0.5)(dateDiff('millisecond', acquired_at, received_at) / 60000, acquired_at IS NOT NULL) AS acquired_to_received_p50_min,
       quantileExact(0.5)(dateDiff('millisecond', received_at, routed_at) / 60000) AS received_to_routed_p50_min,
       quantileExact(0.5)(dateDiff('millisecond', routed_at, completed_at) / 60000) AS routed_to_inferred_p50_min,
       quantileExactIf(0.5)(dateDiff('millisecond', completed_at, delivered_at) / 60000, delivered_at IS NOT NULL) AS inferred_to_delivered_p50_min,
       quantileExactIf(0.5)(dateDiff('millisecond', delivered_at, first_viewed_at) / 60000, first_viewed_at IS NOT NULL AND delivered_at IS NOT NULL) AS delivered_to_viewed_p50_min,
       toDate({from:DateTime64(3, 'UTC')}) AS window_start,
       toDate({to:DateTime64(3, 'UTC')}) AS window_end,
       now64(3) AS computed_at
FROM study_product_lifecycle
WHERE routing_outcome = 'routed' AND completed_at IS NOT NULL
  AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, product, urgency, send_mode`;

/** The time to result per hospital x product x urgency x send mode and week, against the norm. */
export const TURNAROUND_WEEKLY = `
INSERT INTO turnaround_weekly
${timeToResult}
SELECT hospital, product, urgency, send_mode, toMonday(assumeNotNull(received_at)) AS week,
       toUInt32(count()) AS n,
       quantileExact(0.5)(total_min) AS p50_min,
       quantileExact(0.9)(total_min) AS p90_min,
       any(norm) AS norm_min,
       countIf(total_min <= norm) / n AS within_norm,
       now64(3) AS computed_at
FROM study_product_lifecycle
WHERE routing_outcome = 'routed' AND completed_at IS NOT NULL
  AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, product, urgency, send_mode, week`;

/** Each routed study's time to result against its norm, with the trace id of the study (for the breaches). */
export const TURNAROUND_STUDIES = `
INSERT INTO turnaround_studies
${timeToResult}
SELECT hospital, product, study_key, assumeNotNull(received_at) AS received_at, urgency, send_mode,
       total_min AS minutes, norm AS norm_min, total_min > norm AS late, trace.study_trace AS trace_id, now64(3) AS computed_at
FROM study_product_lifecycle AS l
LEFT JOIN
(
    SELECT hospital, study_key, anyIf(trace_id, trace_id != '') AS study_trace FROM events
    WHERE type = 'study.received' AND occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at < {to:DateTime64(3, 'UTC')}
    GROUP BY hospital, study_key
) AS trace ON l.hospital = trace.hospital AND l.study_key = trace.study_key
WHERE routing_outcome = 'routed' AND completed_at IS NOT NULL
  AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
SETTINGS join_use_nulls = 0`;

/** Availability per gateway and day from heartbeats: a missing heartbeat counts as down time. */
export const AVAILABILITY_DAILY = `
INSERT INTO availability_daily
SELECT hospital, component, toDate(occurred_at) AS day,
       toUInt32(count()) AS heartbeats,
       toUInt32(countIf(status = 'up')) AS up,
       least(1, up / {expected_per_day:Float64}) AS uptime,
       {target:Float64} AS target,
       now64(3) AS computed_at
FROM events FINAL
WHERE type = 'gateway.heartbeat' AND occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, component, day`;

const ci = wilsonSql('x', 'n');

/**
 * Clinical performance of binary products against the radiologist's verdict:
 * sensitivity, specificity, PPV and NPV with Wilson intervals, per hospital and
 * for the network (hospital ''), per model version and subgroup, for the whole
 * window and per month. Small cells are marked.
 */
export const PERFORMANCE_BINARY = `
INSERT INTO performance
WITH cases AS (
    SELECT hospital, product, model_version, received_at,
           finding = 'positive' AS ai, verdict_label = 'positive' AS truth,
           multiIf(age_years IS NULL, 'unknown', age_years < 18, '0-17', age_years < 65, '18-64', '65+') AS age_band,
           sex, manufacturer
    FROM study_product_lifecycle
    WHERE verdict_label IN ('positive', 'negative') AND finding IN ('positive', 'negative')
      AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
)
SELECT hospital_scope AS hospital, product, model_version, metric, subgroup, window_start, window_end,
       toUInt32(n) AS n, if(n = 0, 0, x / n) AS value, ${ci.low} AS ci_low, ${ci.high} AS ci_high,
       n < {small_cell:UInt32} AS small_cell, now64(3) AS computed_at
FROM
(
    SELECT hospital_scope, product, model_version, subgroup, window_start, window_end,
           countIf(ai AND truth) AS tp, countIf(NOT ai AND truth) AS fn, countIf(NOT ai AND NOT truth) AS tn, countIf(ai AND NOT truth) AS fp
    FROM cases
    ARRAY JOIN [hospital, ''] AS hospital_scope
    ARRAY JOIN ['all', concat('age=', age_band), concat('sex=', sex), concat('manufacturer=', manufacturer)] AS subgroup
    ARRAY JOIN [(toDate({from:DateTime64(3, 'UTC')}), toDate({to:DateTime64(3, 'UTC')})), (toStartOfMonth(received_at), toLastDayOfMonth(received_at) + 1)] AS window
    WHERE subgroup = 'all' OR window.1 = toDate({from:DateTime64(3, 'UTC')})
    GROUP BY hospital_scope, product, model_version, subgroup, window.1 AS window_start, window.2 AS window_end
)
ARRAY JOIN
    ['sensitivity', 'specificity', 'ppv', 'npv'] AS metric,
    [tp, tn, tp, tn] AS x,
    [tp + fn, tn + fp, tp + fp, tn + fn] AS n`;

/**
 * Agreement of continuous products (bone age) with the reader, in years: mean
 * difference (AI minus reader) and mean absolute difference, each with its
 * 95 % interval (normal approximation), and the Bland-Altman limits of agreement.
 */
export const PERFORMANCE_CONTINUOUS = `
INSERT INTO performance
SELECT hospital_scope AS hospital, product, model_version, metric, subgroup, window_start, window_end,
       toUInt32(n) AS n, value, ci_low, ci_high, n < {small_cell:UInt32} AS small_cell, now64(3) AS computed_at
FROM
(
    SELECT hospital_scope, product, model_version, subgroup, window.1 AS window_start, window.2 AS window_end, count() AS n,
           avg(ai_value - verdict_value) AS mean_diff, stddevSamp(ai_value - verdict_value) AS sd,
           avg(abs(ai_value - verdict_value)) AS mad, stddevSamp(abs(ai_value - verdict_value)) AS sd_abs
    FROM study_product_lifecycle
    ARRAY JOIN [hospital, ''] AS hospital_scope
    ARRAY JOIN ['all', concat('age=', multiIf(age_years IS NULL, 'unknown', age_years < 18, '0-17', age_years < 65, '18-64', '65+')), concat('sex=', sex), concat('manufacturer=', manufacturer)] AS subgroup
    ARRAY JOIN [(toDate({from:DateTime64(3, 'UTC')}), toDate({to:DateTime64(3, 'UTC')})), (toStartOfMonth(received_at), toLastDayOfMonth(received_at) + 1)] AS window
    WHERE ai_value IS NOT NULL AND verdict_value IS NOT NULL
      AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
      AND (subgroup = 'all' OR window.1 = toDate({from:DateTime64(3, 'UTC')}))
    GROUP BY hospital_scope, product, model_version, subgroup, window_start, window_end
)
ARRAY JOIN
    ['mean_difference', 'mean_absolute_difference', 'limits_of_agreement'] AS metric,
    [mean_diff, mad, mean_diff] AS value,
    [mean_diff - 1.959964 * sd / sqrt(n), greatest(0, mad - 1.959964 * sd_abs / sqrt(n)), mean_diff - 1.959964 * sd] AS ci_low,
    [mean_diff + 1.959964 * sd / sqrt(n), mad + 1.959964 * sd_abs / sqrt(n), mean_diff + 1.959964 * sd] AS ci_high`;

/** The verdicted cases of binary products in time order, for the drift monitors. */
export const DRIFT_CASES = `
SELECT hospital, product, model_version, toUnixTimestamp64Milli(received_at) AS at,
       finding = 'positive' AS ai, verdict_label = 'positive' AS truth
FROM study_product_lifecycle
WHERE finding IN ('positive', 'negative') AND verdict_label IN ('positive', 'negative')
  AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
ORDER BY hospital, product, model_version, received_at`;

/** AI-positive counts per week, which need no labels, for the control chart. */
export const POSITIVE_RATE_WEEKLY = `
SELECT hospital, product, model_version, toString(toMonday(received_at)) AS week,
       countIf(finding = 'positive') AS positives, count() AS n
FROM study_product_lifecycle
WHERE finding IN ('positive', 'negative')
  AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, product, model_version, week
ORDER BY hospital, product, model_version, week`;

/** AI scores per week, for the score-distribution monitor (no labels needed). */
export const SCORES_WEEKLY = `
SELECT hospital, product, model_version, toString(toMonday(received_at)) AS week, groupArray(score) AS scores
FROM study_product_lifecycle
WHERE score IS NOT NULL AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, product, model_version, week
ORDER BY hospital, product, model_version, week`;

/** What the product was given per week: scanner make, body part and age band, for the input-mix monitor. */
export const INPUT_MIX_WEEKLY = `
SELECT hospital, product, model_version, toString(toMonday(received_at)) AS week,
       manufacturer, body_part,
       multiIf(age_years IS NULL, 'unknown', age_years < 18, '0-17', age_years < 65, '18-64', '65+') AS age_band,
       count() AS n
FROM study_product_lifecycle
WHERE completed_at IS NOT NULL AND received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
GROUP BY hospital, product, model_version, week, manufacturer, body_part, age_band
ORDER BY hospital, product, model_version, week`;
