import { wilsonSql } from './wilson.ts';

/**
 * The SQL of the analytics, one constant per result, named after the table it
 * fills. Each job reads the per-study rows of `study_cases` cell by cell
 * (hospital x product x week): `{cells}` stands for the cells being recomputed
 * (every cell in a rebuild, the cells marked since the job's watermark in an
 * incremental run) and `{final}` for FINAL where the table may hold replaced
 * rows. Roll-ups read cells, never studies, and `{groups}` names the hospital x
 * product groups (or products) whose cells changed. Values are always bound.
 */

/** The fragments a query is completed with: conditions and the FINAL modifier, never values. */
export interface Scope {
  cells: string;
  groups: string;
  products: string;
  final: string;
}

export const fill = (sql: string, scope: Scope) =>
  sql.replaceAll('{cells}', scope.cells).replaceAll('{groups}', scope.groups).replaceAll('{products}', scope.products).replaceAll('{final}', scope.final);

/** The tables of marked cells the jobs recompute from (benefit keeps its own, benefit_dirty_cells). */
export type MarkedCells = 'dirty_cells' | 'timing_dirty_cells';

/**
 * The cells marked in a table of marked cells after a watermark, and their groups: what an incremental run
 * recomputes. `dirty_cells` holds every cell a refreshed study sits in (or sat in); `timing_dirty_cells` only
 * those where it changed in what turnaround and cost read (TIMING_HASH).
 */
export function markedScope(table: MarkedCells): Scope {
  const marked = (columns: string) => `(${columns}) IN (SELECT ${columns} FROM ${table} WHERE marked_at > {since:DateTime64(3, 'UTC')})`;
  return { cells: marked('hospital, product, week'), groups: marked('hospital, product'), products: marked('product'), final: 'FINAL' };
}

/** A cell marked in the table after a watermark, if any. */
export const anyMarked = (table: MarkedCells) => `SELECT 1 AS marked FROM ${table} WHERE marked_at > {since:DateTime64(3, 'UTC')} LIMIT 1`;

/** The studies of one hospital (a rebuild goes hospital by hospital), or those touched since the last run. */
export const HOSPITAL_STUDIES = 'hospital = {hospital:String}';
export const DIRTY_STUDIES = '(hospital, study_key) IN (SELECT hospital, study_key FROM dirty_studies)';

/** The studies whose events were ingested in (since, until]. */
export const MARK_DIRTY_STUDIES = `
INSERT INTO dirty_studies
SELECT DISTINCT hospital, study_key FROM touched
WHERE study_key != '' AND ingested_at > {since:DateTime64(3, 'UTC')} AND ingested_at <= {until:DateTime64(3, 'UTC')}`;

/** The latest ingest time recorded (read in order of the key, not by scanning). */
export const LATEST_INGEST = "SELECT toString(ingested_at) AS at FROM touched ORDER BY ingested_at DESC LIMIT 1";

const minutes = (from: string, to: string) => `dateDiff('millisecond', ${from}, ${to}) / 60000`;
/** A stage in minutes, NULL when one end is missing or the clocks make it negative. */
const stage = (from: string, to: string) => `if(${from} IS NULL OR ${to} IS NULL OR ${to} < ${from}, NULL, ${minutes(from, to)})`;

/**
 * Each routed study x product of `{studies}`, aggregated from its events in the
 * lifecycle (ordered by study, so a few thousand studies read only their own
 * marks): its facts, outcomes, the time to result (NULL and counted as impossible when the
 * modality clock puts the acquisition after the result) and the stages, into
 * `{target}` (study_cases, or the scratch table of an incremental run). Only the
 * study x products that were ever routed are merged (most routing decisions are
 * "not eligible"), grouped by a 64-bit hash of the study key, which is cheaper
 * than the key itself. Rows carry `{version:DateTime64(3, 'UTC')}` as computed_at.
 * `{lifecycle}` is the table of events read: `lifecycle` itself, or in an
 * incremental run the refreshed studies' events copied out of it once
 * (LIFECYCLE_REFRESH), since the statement reads them three times.
 */
export const STUDY_CASES = `
INSERT INTO {target} (hospital, product, week, study_key, received_at, acquired_at, urgency, send_mode, modality, body_part, age_band, sex, manufacturer, device_model,
    routed_at, completed_at, delivered_at, first_viewed_at, verdict_at, model_version, finding, score, ai_value, verdict_label, verdict_value,
    viewer_keys, verdict_readers, trace_id, minutes, impossible,
    acquired_to_received_min, received_to_routed_min, routed_to_inferred_min, inferred_to_delivered_min, delivered_to_viewed_min, computed_at)
WITH
    coalesce(s.acquired_at, s.received_at) AS start_at,
    coalesce(p.delivered_at, p.completed_at) AS result_at,
    if(p.completed_at IS NULL, NULL, ${minutes('start_at', 'result_at')}) AS raw_minutes,
    -- a modality clock running fast puts the acquisition after the receipt (or the result)
    raw_minutes < 0 OR ifNull(s.acquired_at > s.received_at, 0) AS impossible_time
SELECT p.hospital, p.product, toMonday(s.received_at), p.study, s.received_at, s.acquired_at, s.urgency, s.send_mode, s.modality, s.body_part,
       multiIf(s.age_years IS NULL, 'unknown', s.age_years < 18, '0-17', s.age_years < 65, '18-64', '65+'), s.sex, s.manufacturer, s.device_model,
       p.routed_at, p.completed_at, p.delivered_at, p.first_viewed_at, p.verdict_at,
       tupleElement(p.ai_output, 1), tupleElement(p.ai_output, 2), tupleElement(p.ai_output, 3), tupleElement(p.ai_output, 4),
       tupleElement(p.verdict, 1), tupleElement(p.verdict, 2),
       p.viewer_keys, p.verdict_readers, ifNull(s.trace_id, ''),
       if(impossible_time, NULL, raw_minutes), impossible_time,
       ${stage('s.acquired_at', 's.received_at')}, ${stage('s.received_at', 'p.routed_at')}, ${stage('p.routed_at', 'p.completed_at')},
       ${stage('p.completed_at', 'p.delivered_at')}, ${stage('p.delivered_at', 'p.first_viewed_at')},
       {version:DateTime64(3, 'UTC')}
FROM
(
    SELECT hospital, cityHash64(study_key) AS key, product, any(study_key) AS study,
           argMaxIf(toString(outcome), occurred_at, type = 'study.routed') AS routing,
           minIf(toNullable(occurred_at), type = 'study.routed' AND outcome = 'routed') AS routed_at,
           minIf(toNullable(occurred_at), type = 'inference.completed') AS completed_at,
           argMinIf((toString(model_version), toString(finding), score, value), occurred_at, type = 'inference.completed') AS ai_output,
           minIf(toNullable(occurred_at), type = 'result.delivered' AND acknowledged = 1) AS delivered_at,
           minIf(toNullable(occurred_at), type = 'result.viewed') AS first_viewed_at,
           maxIf(toNullable(occurred_at), type = 'verdict.recorded') AS verdict_at,
           argMaxIf((toString(label), value, agreement), occurred_at, type = 'verdict.recorded') AS verdict,
           arraySort(groupUniqArrayIf(user_key, type = 'result.viewed')) AS viewer_keys,
           arraySort(groupUniqArrayIf(user_key, type = 'verdict.recorded')) AS verdict_readers
    FROM {lifecycle}
    WHERE product != '' AND {studies}
      AND (hospital, study_key, product) IN (SELECT hospital, study_key, product FROM {lifecycle} WHERE type = 'study.routed' AND outcome = 'routed' AND {studies})
    GROUP BY hospital, key, product
    HAVING routing = 'routed'
) AS p
INNER JOIN
(
    SELECT hospital, cityHash64(study_key) AS key, minIf(toNullable(occurred_at), type = 'study.received') AS received_at, min(acquired_at) AS acquired_at,
           anyIf(age_years, type = 'study.received') AS age_years, anyIf(modality, type = 'study.received') AS modality,
           anyIf(body_part, type = 'study.received') AS body_part, anyIf(sex, type = 'study.received') AS sex,
           anyIf(manufacturer, type = 'study.received') AS manufacturer, anyIf(device_model, type = 'study.received') AS device_model,
           anyIf(urgency, type = 'study.received') AS urgency, anyIf(send_mode, type = 'study.received') AS send_mode,
           minIf(toNullable(trace_id), trace_id != '') AS trace_id
    FROM {lifecycle}
    WHERE product = '' AND {studies}
    GROUP BY hospital, key
    HAVING received_at IS NOT NULL
) AS s
ON p.hospital = s.hospital AND p.key = s.key`;

/** The lifecycle's columns STUDY_CASES reads (not the patient's key, the event's id or the inference details). */
const LIFECYCLE_READ = `hospital, study_key, product, type, occurred_at, trace_id, modality, body_part, age_years, sex, manufacturer, device_model,
    urgency, send_mode, acquired_at, outcome, model_version, finding, score, value, acknowledged, user_key, label, agreement`;

/**
 * The events of the studies of `{studies}`, copied out of the lifecycle into its scratch table
 * (emptied first): a few thousand studies' events read once from a table of some 100 M rows,
 * where STUDY_CASES would look each study up there three times.
 */
export const LIFECYCLE_REFRESH = `
INSERT INTO lifecycle_refresh (${LIFECYCLE_READ})
SELECT ${LIFECYCLE_READ} FROM lifecycle WHERE {studies}`;

/** The norms the run counts with, for the breaches table of the dashboards. */
export const TURNAROUND_NORMS = `
INSERT INTO turnaround_norms
SELECT splitByChar('|', k)[1], splitByChar('|', k)[2], v, {version:DateTime64(3, 'UTC')}
FROM (SELECT arrayJoin(arrayZip({norm_keys:Array(String)}, {norm_values:Array(Float64)})) AS kv, kv.1 AS k, kv.2 AS v)`;

/** The norm of a study's product and urgency, as the run's settings give it. */
const NORM = "transform(concat(product, '|', urgency), {norm_keys:Array(String)}, {norm_values:Array(Float64)}, 60.0)";

/**
 * A study row's fingerprint in what the benefit job reads (not its verdict):
 * where it changes, the benefit cells of the study's old and new rows are
 * marked (`benefit_dirty_cells`, by refreshStudyCases); a late verdict alone marks nothing.
 */
export const BENEFIT_HASH = 'cityHash64(tuple(received_at, acquired_at, urgency, modality, age_band, delivered_at, first_viewed_at, finding))';

/**
 * A study row's fingerprint in what the turnaround job (with its data quality) and the cost job read: its
 * times, urgency, send mode and device, not its verdict or viewers. Where it changes, the cells of the study's
 * old and new rows are marked for them (`timing_dirty_cells`); a late verdict alone marks nothing there.
 */
export const TIMING_HASH =
  'cityHash64(tuple(received_at, acquired_at, urgency, send_mode, manufacturer, device_model, routed_at, completed_at, delivered_at, first_viewed_at, minutes, impossible))';

export const INDEX_STUDIES = `
INSERT INTO study_index (hospital, study_key, product, week, benefit_hash, timing_hash, computed_at)
SELECT hospital, study_key, product, week, ${BENEFIT_HASH}, ${TIMING_HASH}, computed_at FROM {source}`;

/**
 * The index rows of the refreshed studies as they were (read before INDEX_STUDIES), and as they are now: where tombstones go, and which cells are marked.
 * The latest version of each is picked by argMax rather than FINAL (what FINAL would keep, for a few thousand keys at less cost).
 */
export const OLD_INDEX_ROWS = `
SELECT hospital, study_key, product, toString(argMax(week, computed_at)) AS week,
       toString(argMax(benefit_hash, computed_at)) AS benefit, toString(argMax(timing_hash, computed_at)) AS timing
FROM study_index WHERE {studies}
GROUP BY hospital, study_key, product`;
export const REFRESHED_INDEX_ROWS = `
SELECT hospital, study_key, product, toString(week) AS week, toString(${BENEFIT_HASH}) AS benefit, toString(${TIMING_HASH}) AS timing FROM study_cases_refresh`;

const adoptionCi = wilsonSql('viewed', 'eligible');

/** Adoption per hospital x product x week: the funnel, and viewed / eligible with its Wilson interval. */
export const ADOPTION_WEEKLY = `
INSERT INTO adoption_weekly (hospital, product, week, eligible, inferred, delivered, viewed, verdicts, rate, ci_low, ci_high, computed_at)
SELECT hospital, product, week,
       toUInt32(count()) AS eligible,
       toUInt32(countIf(completed_at IS NOT NULL)) AS inferred,
       toUInt32(countIf(delivered_at IS NOT NULL)) AS delivered,
       toUInt32(countIf(first_viewed_at IS NOT NULL)) AS viewed,
       toUInt32(countIf(verdict_at IS NOT NULL)) AS verdicts,
       viewed / eligible AS rate,
       ${adoptionCi.low} AS ci_low,
       ${adoptionCi.high} AS ci_high,
       {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
WHERE {cells}
GROUP BY hospital, product, week`;

/** Per reader and week: the cases they gave a verdict on, and in how many they had looked at the AI result. */
export const USER_USAGE_WEEKLY = `
INSERT INTO user_usage_weekly (hospital, product, week, user_key, cases, viewed, computed_at)
SELECT hospital, product, week, reader, toUInt32(count()), toUInt32(countIf(has(viewer_keys, reader))), {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
ARRAY JOIN verdict_readers AS reader
WHERE {cells}
GROUP BY hospital, product, week, reader`;

/** Per reader over all weeks (the pilot's "at least 70 % of their cases"). */
export const USER_USAGE = `
INSERT INTO user_usage (hospital, product, user_key, cases, viewed, share, computed_at)
SELECT hospital, product, user_key, toUInt32(sum(cases)) AS c, toUInt32(sum(viewed)) AS v, v / c, {version:DateTime64(3, 'UTC')}
FROM user_usage_weekly FINAL
WHERE {groups}
GROUP BY hospital, product, user_key`;

/** A duration's bin in the log-scale histograms: round(200 ln(1 + minutes)), 0.5 % wide. */
const bin = (x: string) => `toUInt16(least(65535, round(200 * log1p(greatest(0, ifNull(${x}, 0))))))`;
const histogram = (x: string) => `sumMapIf(map(${bin(x)}, toUInt32(1)), ${x} IS NOT NULL)`;

/**
 * A time to result longer than the bound of the run's settings: implausible (a
 * modality clock days off, a date typed wrong), left out of the turnaround
 * figures and counted beside them.
 */
const IMPLAUSIBLE = 'minutes > {implausible_min:Float64}';
/** The time to result as turnaround counts it: NULL when impossible or implausible. */
const COUNTED = `if(${IMPLAUSIBLE}, NULL, minutes)`;

/**
 * The data's quality per hospital x product x week x device: the results whose
 * clocks make the time to result impossible (excluded from turnaround, which
 * counts them as `excluded`), later stages that end before they start, and the
 * histogram of the acquisition's lead over the receipt in whole minutes for
 * automatic sends, from which a device's clock offset is estimated. Times to
 * result beyond `{implausible_min}` are counted as implausible (and left out of
 * turnaround, see IMPLAUSIBLE).
 */
export const DATA_QUALITY_WEEKLY = `
INSERT INTO data_quality_weekly (hospital, product, week, manufacturer, device_model, results, impossible, implausible, negative_stages, lead_hist, computed_at)
SELECT hospital, product, week, manufacturer, device_model,
       toUInt32(count()), toUInt32(countIf(impossible = 1)), toUInt32(countIf(${IMPLAUSIBLE})),
       toUInt32(countIf(routed_at < received_at OR completed_at < routed_at OR delivered_at < completed_at OR first_viewed_at < delivered_at)),
       sumMapIf(map(toInt32(round(dateDiff('millisecond', received_at, ifNull(acquired_at, received_at)) / 60000)), toUInt32(1)), acquired_at IS NOT NULL AND send_mode = 'automatic'),
       {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
WHERE {cells} AND completed_at IS NOT NULL
GROUP BY hospital, product, week, manufacturer, device_model`;

/** The median of a merged histogram with whole keys (sumMap sorts them), NULL when empty. */
export function histogramMedianSql(hist: string): string {
  return `if(arraySum(mapValues(${hist})) = 0, NULL, arrayElement(mapKeys(${hist}), arrayFirstIndex(c -> c > floor(0.5 * arraySum(mapValues(${hist}))), arrayCumSum(mapValues(${hist})))))`;
}

/** The q-quantile of a merged histogram (the bin holding the element at index floor(q n)), in minutes. */
export function histogramQuantileSql(q: number, hist: string): string {
  return `exp(arrayElement(mapKeys(${hist}), arrayFirstIndex(c -> c > floor(${q} * arraySum(mapValues(${hist}))), arrayCumSum(mapValues(${hist})))) / 200) - 1`;
}

export const STAGES = ['acquired_to_received', 'received_to_routed', 'routed_to_inferred', 'inferred_to_delivered', 'delivered_to_viewed'] as const;

/**
 * The time to result per hospital x product x urgency x send mode and week:
 * exact p50/p90 of the week, the share within the norm, the studies excluded
 * for an impossible time and those left out for an implausibly long one, and histograms of the total and of each stage that
 * roll up over any range of weeks.
 */
export const TURNAROUND_WEEKLY = `
INSERT INTO turnaround_weekly (hospital, product, urgency, send_mode, week, n, excluded, implausible, within, p50_min, p90_min, norm_min, within_norm,
    total_hist, ${STAGES.map((s) => `${s}_hist`).join(', ')}, computed_at)
WITH ${COUNTED} AS counted_min
SELECT hospital, product, urgency, send_mode, week,
       toUInt32(countIf(counted_min IS NOT NULL)) AS n,
       toUInt32(countIf(impossible = 1)) AS excluded,
       toUInt32(countIf(${IMPLAUSIBLE})) AS implausible_n,
       toUInt32(countIf(counted_min IS NOT NULL AND counted_min <= ${NORM})) AS within,
       ifNull(quantileExact(0.5)(counted_min), 0), ifNull(quantileExact(0.9)(counted_min), 0),
       max(${NORM}), if(n = 0, 0, within / n),
       ${histogram('counted_min')}, ${STAGES.map((s) => histogram(`${s}_min`)).join(', ')},
       {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
WHERE {cells} AND completed_at IS NOT NULL
GROUP BY hospital, product, urgency, send_mode, week`;

/**
 * The time to result per hospital x product x urgency x send mode over every
 * week, rolled up from the weekly histograms (quantiles to within 0.5 %), with
 * the weeks it spans.
 */
export const TURNAROUND = `
INSERT INTO turnaround (hospital, product, urgency, send_mode, n, excluded, implausible, p50_min, p90_min, p95_min, norm_min, within_norm,
    ${STAGES.map((s) => `${s}_p50_min`).join(', ')}, window_start, window_end, computed_at)
WITH sumMap(total_hist) AS th
SELECT hospital, product, urgency, send_mode, toUInt32(sum(n)) AS total, toUInt32(sum(excluded)) AS total_excluded, toUInt32(sum(implausible)) AS total_implausible,
       ${histogramQuantileSql(0.5, 'th')}, ${histogramQuantileSql(0.9, 'th')}, ${histogramQuantileSql(0.95, 'th')},
       max(norm_min), if(total = 0, 0, sum(within) / total),
       ${STAGES.map((s) => histogramQuantileSql(0.5, `sumMap(${s}_hist)`)).join(',\n       ')},
       min(week), max(week) + 7, {version:DateTime64(3, 'UTC')}
FROM turnaround_weekly FINAL
WHERE {groups}
GROUP BY hospital, product, urgency, send_mode`;

/** Availability per gateway and day from heartbeats (each counted once): a missing heartbeat counts as down time. */
export const AVAILABILITY_DAILY = `
INSERT INTO availability_daily (hospital, component, day, heartbeats, up, uptime, target, computed_at)
SELECT hospital, component, toDate(occurred_at) AS d,
       toUInt32(uniqExact(event_id)) AS heartbeats,
       toUInt32(uniqExactIf(event_id, status = 'up')) AS up_count,
       least(1, up_count / {expected_per_day:Float64}),
       {target:Float64},
       {version:DateTime64(3, 'UTC')}
FROM events
WHERE type = 'gateway.heartbeat' AND {days}
GROUP BY hospital, component, d`;

/** The gateway days whose heartbeats were ingested after a watermark. */
export const TOUCHED_DAYS = `hospital IN (SELECT hospital FROM touched WHERE hb_component != '' AND ingested_at > {since:DateTime64(3, 'UTC')} AND ingested_at <= {until:DateTime64(3, 'UTC')})
  AND toDate(occurred_at) IN (SELECT hb_day FROM touched WHERE hb_component != '' AND ingested_at > {since:DateTime64(3, 'UTC')} AND ingested_at <= {until:DateTime64(3, 'UTC')})
  AND (hospital, component, toDate(occurred_at)) IN (SELECT hospital, hb_component, hb_day FROM touched WHERE hb_component != '' AND ingested_at > {since:DateTime64(3, 'UTC')} AND ingested_at <= {until:DateTime64(3, 'UTC')})`;

/** The verdicted cases of each cell, counted per model version, month (a week may span two) and subgroup. */
export const PERFORMANCE_CELLS = `
INSERT INTO performance_cells (hospital, product, week, model_version, month, subgroup, tp, fn, tn, fp, n_cont, sum_d, sum_d2, sum_ad, computed_at)
WITH finding = 'positive' AS ai, verdict_label = 'positive' AS truth,
     finding IN ('positive', 'negative') AND verdict_label IN ('positive', 'negative') AS binary,
     ai_value IS NOT NULL AND verdict_value IS NOT NULL AS continuous,
     if(continuous, assumeNotNull(ai_value) - assumeNotNull(verdict_value), 0) AS d
SELECT hospital, product, week, model_version, toStartOfMonth(received_at) AS month, subgroup,
       toUInt32(countIf(binary AND ai AND truth)), toUInt32(countIf(binary AND NOT ai AND truth)),
       toUInt32(countIf(binary AND NOT ai AND NOT truth)), toUInt32(countIf(binary AND ai AND NOT truth)),
       toUInt32(countIf(continuous)), sum(d), sum(d * d), sum(abs(d)),
       {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
ARRAY JOIN ['all', concat('age=', age_band), concat('sex=', sex), concat('manufacturer=', manufacturer)] AS subgroup
WHERE {cells} AND (binary OR continuous)
GROUP BY hospital, product, week, model_version, month, subgroup`;

/**
 * Performance per hospital (and '' for the network) x product x model version
 * over the whole span of the model version in the network (every subgroup) and
 * per month ('all'), from the cells of the products whose cells changed.
 */
const PERFORMANCE_WINDOWS = `
SELECT hospital_scope, product, model_version, subgroup, window.1 AS window_start, window.2 AS window_end,
       sum(tp) AS tp, sum(fn) AS fn, sum(tn) AS tn, sum(fp) AS fp, sum(n_cont) AS nc, sum(sum_d) AS sd, sum(sum_d2) AS sd2, sum(sum_ad) AS sad
FROM (
    SELECT * FROM (SELECT * FROM performance_cells FINAL WHERE {products}) AS c
    INNER JOIN (SELECT product, model_version, min(week) AS first_week, max(week) + 7 AS last_week FROM performance_cells FINAL WHERE {products} GROUP BY product, model_version) AS s
    USING (product, model_version)
)
ARRAY JOIN [hospital, ''] AS hospital_scope
ARRAY JOIN [(first_week, last_week), (month, addMonths(month, 1))] AS window
WHERE subgroup = 'all' OR window.1 = first_week AND window.2 = last_week
GROUP BY hospital_scope, product, model_version, subgroup, window_start, window_end`;

const ci = wilsonSql('x', 'n');

/** Sensitivity, specificity, PPV and NPV with Wilson intervals; small cells marked. */
export const PERFORMANCE_BINARY = `
INSERT INTO performance (hospital, product, model_version, metric, subgroup, window_start, window_end, n, value, ci_low, ci_high, small_cell, computed_at)
SELECT hospital_scope, product, model_version, metric, subgroup, window_start, window_end,
       toUInt32(n), if(n = 0, 0, x / n), ${ci.low}, ${ci.high}, n < {small_cell:UInt32}, {version:DateTime64(3, 'UTC')}
FROM (${PERFORMANCE_WINDOWS} HAVING tp + fn + tn + fp > 0)
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
INSERT INTO performance (hospital, product, model_version, metric, subgroup, window_start, window_end, n, value, ci_low, ci_high, small_cell, computed_at)
WITH nc AS n, sd / n AS mean_diff, sad / n AS mad,
     sqrt(greatest(0, sd2 - sd * sd / n) / (n - 1)) AS sdev, sqrt(greatest(0, sd2 - sad * sad / n) / (n - 1)) AS sd_abs
SELECT hospital_scope, product, model_version, metric, subgroup, window_start, window_end,
       toUInt32(n), value, lo, hi, n < {small_cell:UInt32}, {version:DateTime64(3, 'UTC')}
FROM (${PERFORMANCE_WINDOWS} HAVING nc > 1)
ARRAY JOIN
    ['mean_difference', 'mean_absolute_difference', 'limits_of_agreement'] AS metric,
    [mean_diff, mad, mean_diff] AS value,
    [mean_diff - 1.959964 * sdev / sqrt(n), greatest(0, mad - 1.959964 * sd_abs / sqrt(n)), mean_diff - 1.959964 * sdev] AS lo,
    [mean_diff + 1.959964 * sdev / sqrt(n), mad + 1.959964 * sd_abs / sqrt(n), mean_diff + 1.959964 * sdev] AS hi`;

/** What the label-free monitors read per cell, model version and day of receipt: AI outputs, positives, scores in hundredths, the input mix. */
export const DRIFT_CELLS = `
INSERT INTO drift_cells (hospital, product, week, model_version, day, n, positives, scores, mix, computed_at)
SELECT hospital, product, week, model_version, toDate(received_at) AS day,
       toUInt32(countIf(finding IN ('positive', 'negative'))), toUInt32(countIf(finding = 'positive')),
       sumMapIf(map(toUInt8(least(100, floor(assumeNotNull(score) * 100))), toUInt32(1)), score IS NOT NULL),
       sumMap(map(concat('manufacturer=', manufacturer), toUInt32(1), concat('body_part=', body_part), toUInt32(1), concat('age_band=', age_band), toUInt32(1))),
       {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
WHERE {cells} AND completed_at IS NOT NULL
GROUP BY hospital, product, week, model_version, day`;

/** The daily label-free counts of the groups whose cells changed, in day order. */
export const DRIFT_DAYS = `
SELECT hospital, product, model_version, toString(day) AS day, n, positives, mapKeys(scores) AS score_bins, mapValues(scores) AS score_counts,
       mapKeys(mix) AS mix_keys, mapValues(mix) AS mix_counts
FROM drift_cells FINAL
WHERE {groups}
ORDER BY hospital, product, model_version, day`;

/** The first day of each label-free monitor (hospital x product x model version) of the groups whose cells changed: where its reference starts. */
export const LABEL_FREE_STARTS = `
SELECT hospital, product, model_version, toString(min(day)) AS first FROM drift_cells FINAL
WHERE {groups} GROUP BY hospital, product, model_version`;

/** The days a label-free monitor resumed from a checkpoint needs: its reference's, and those from the checkpoint's week on (keys 'hospital|product|model_version'). */
export const LABEL_FREE_NEEDED = `(drift_cells.day < transform(concat(hospital, '|', product, '|', model_version), {monitors:Array(String)}, {reference_ends:Array(Date)}, toDate('2149-01-01'))
  OR week >= transform(concat(hospital, '|', product, '|', model_version), {monitors:Array(String)}, {resume_weeks:Array(Date)}, toDate('1970-01-01')))`;

/** The latest checkpoint of each label-free monitor before the week its group's replay starts. */
export const LABEL_FREE_CHECKPOINTS = `
SELECT hospital, product, model_version, toString(week) AS checkpoint_week, state FROM drift_label_free_checkpoints FINAL
WHERE {groups}
  AND week < transform(concat(hospital, '|', product), {keys:Array(String)}, {from_weeks:Array(Date)}, toDate('1970-01-01'))
ORDER BY hospital, product, model_version, week DESC LIMIT 1 BY hospital, product, model_version`;

/** The verdicted binary cases per week of the groups whose cells changed: the reference of each monitor. */
export const VERDICTED_WEEKS = `
SELECT hospital, product, model_version, toString(week) AS week, sum(tp) AS tp, sum(fn) AS fn, sum(tn) AS tn, sum(fp) AS fp
FROM performance_cells FINAL
WHERE {groups} AND subgroup = 'all'
GROUP BY hospital, product, model_version, week
HAVING tp + fn + tn + fp > 0
ORDER BY hospital, product, model_version, week`;

/** The earliest changed week of each group, from which its monitors replay. */
export const CHANGED_FROM = `
SELECT hospital, product, toString(min(week)) AS week FROM dirty_cells
WHERE marked_at > {since:DateTime64(3, 'UTC')} GROUP BY hospital, product`;

/**
 * The verdicted binary cases of some hospitals' products, each hospital x
 * product from its own week on (`{keys}` are 'hospital|product'), in time order,
 * as compact arrays (a case is 2 ai + truth). A rebuild reads a few hospitals at
 * a time, so that memory holds their cases, never every case; an
 * incremental run reads the changed weeks of all at once.
 */
export const DRIFT_CASES = `
SELECT hospital, product, model_version, arrayMap(c -> c.1, cases) AS at, arrayMap(c -> c.3, cases) AS outcome
FROM (
    SELECT hospital, product, model_version,
           arraySort(groupArray((toUnixTimestamp64Milli(received_at), study_key, toUInt8(2 * (finding = 'positive') + (verdict_label = 'positive'))))) AS cases
    FROM study_cases {final}
    WHERE hospital IN {hospitals:Array(String)}
      AND week >= transform(concat(hospital, '|', product), {keys:Array(String)}, {from_weeks:Array(Date)}, toDate('2149-01-01'))
      AND finding IN ('positive', 'negative') AND verdict_label IN ('positive', 'negative')
    GROUP BY hospital, product, model_version
)`;

/** The kept charts of the drift references of the groups a run touches (drift_charts, migration 0018). */
export const DRIFT_CHARTS = `
SELECT hospital, product, model_version, metric, weeks, key, charts, figures FROM drift_charts FINAL
WHERE concat(hospital, '|', product) IN {keys:Array(String)}`;

/** The latest checkpoint of each monitor before the week its replay starts. */
export const DRIFT_CHECKPOINTS = `
SELECT hospital, product, model_version, state FROM drift_checkpoints FINAL
WHERE hospital IN {hospitals:Array(String)}
  AND week < transform(concat(hospital, '|', product), {keys:Array(String)}, {from_weeks:Array(Date)}, toDate('1970-01-01'))
ORDER BY hospital, product, model_version, week DESC LIMIT 1 BY hospital, product, model_version`;
