import { FINDING_CONCEPTS, FINDING_CONCEPT_IDS } from '../events/index.ts';
import type { Params, Row, Store } from '../store/index.ts';
import { tombstones } from './cell-jobs.ts';
import { hodgesLehmann, mergeHistograms, type Histogram } from './hodges-lehmann.ts';
import { wilsonSql } from './wilson.ts';

/**
 * Measured benefit: the time from acquisition to the first final report, per
 * hospital x product x urgency, for studies whose AI result was viewed before
 * signing against those where it was not (among studies after go-live), and
 * after against before the product went live at the hospital (its first result
 * reached a reader: delivered to the PACS, or viewed). The difference is the
 * Hodges-Lehmann estimate with its 95 % interval (analytics/hodges-lehmann.ts),
 * computed from whole-minute histograms that ClickHouse makes, so memory holds
 * the cells' histograms, never the cases. The arms' case mix is shown side by
 * side and a caution names what differs. And the agreement of the report's
 * coded finding with the AI's.
 *
 * Like the other jobs it keeps cells (hospital x product x week, migration
 * 0015): each cell's histograms, case mix and agreement counts, summed over
 * the weeks for the groups whose cells changed. An incremental run recomputes
 * the cells whose studies changed in what benefit reads (the per-study rows'
 * `benefit_hash`: a late verdict changes none) or whose reports arrived.
 */

/** A report more than this long after the acquisition is left out (and counted): a backlog, not reading time. */
export const MAX_REPORT_MINUTES = 30 * 24 * 60;
/** Arms under this many studies are marked, not hidden. */
const SMALL_ARM = 10;
/** A factor whose distribution differs between the arms by this much (total variation distance) is named in the caution. */
export const CASE_MIX_CAUTION_DISTANCE = 0.1;

/** The earliest of two nullable times, 2106-01-01 when both are missing (the group never went live). */
const NEVER = "toDateTime64('2106-01-01 00:00:00', 3, 'UTC')";

/**
 * The cells a benefit statement reads: `{cells}` and `{groups}` are the
 * hospital x product x week cells and their hospital x product groups (every
 * one of the batch's hospitals in a rebuild, those in `benefit_scope`
 * incrementally); `{final}` is FINAL where the tables may hold replaced rows.
 */
export interface BenefitScope {
  cells: string;
  groups: string;
  /** The accessions of the cells' studies, read from their own weeks on. */
  accessions: string;
  /** Their reports: a rebuild reads every report of the batch (the join keeps those with a study). */
  reports: string;
  final: string;
}

const fillBenefit = (sql: string, scope: BenefitScope) =>
  sql.replaceAll('{cells}', scope.cells).replaceAll('{groups}', scope.groups).replaceAll('{reports}', scope.reports).replaceAll('{accessions}', scope.accessions).replaceAll('{final}', scope.final);

const BATCH = 'hospital IN {hospitals:Array(String)}';
const SCOPED_CELLS = `${BATCH} AND (hospital, product, week) IN (SELECT hospital, product, week FROM benefit_scope)`;
const SCOPED_GROUPS = `${BATCH} AND (hospital, product) IN (SELECT hospital, product FROM benefit_scope)`;

/** A rebuild's batch of hospitals: every cell of them. */
export const EVERY_BENEFIT_CELL: BenefitScope = { cells: BATCH, groups: BATCH, accessions: BATCH, reports: BATCH, final: '' };
/** An incremental run's batch: the cells in `benefit_scope`, and the accessions of their studies from the earliest of their weeks on. */
const SCOPED_ACCESSIONS = `${BATCH} AND week >= (SELECT min(week) FROM benefit_scope WHERE ${BATCH})
    AND (hospital, study_key) IN (SELECT hospital, study_key FROM study_cases FINAL WHERE ${SCOPED_CELLS})`;
export const SCOPED_BENEFIT_CELLS: BenefitScope = {
  cells: SCOPED_CELLS,
  groups: SCOPED_GROUPS,
  accessions: SCOPED_ACCESSIONS,
  reports: `${BATCH} AND (hospital, accession_key) IN (SELECT hospital, accession_key FROM study_accession_weeks WHERE ${SCOPED_ACCESSIONS})`,
  final: 'FINAL',
};

/** Per cell, the first time one of its studies' results reached a reader (delivered to the PACS, or viewed). */
export const BENEFIT_WEEKS = `
INSERT INTO benefit_weeks (hospital, product, week, live_at, computed_at)
SELECT hospital, product, week, least(ifNull(min(delivered_at), ${NEVER}), ifNull(min(first_viewed_at), ${NEVER})), {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
WHERE {cells}
GROUP BY hospital, product, week`;

/** Each group's go-live: the earliest of its cells'. */
const GROUP_LIVE = `SELECT hospital, product, min(live_at) AS live_at FROM benefit_weeks FINAL WHERE {groups} GROUP BY hospital, product`;

export const BENEFIT_LIVE = `
INSERT INTO benefit_live (hospital, product, live_at, computed_at)
SELECT hospital, product, live_at, {version:DateTime64(3, 'UTC')} FROM (${GROUP_LIVE})`;

/** Every cell of the groups whose go-live moved (or is new): their after/before split must be counted again. */
export const LIVE_MOVED = `
INSERT INTO benefit_scope
SELECT hospital, product, week FROM benefit_weeks FINAL
WHERE (hospital, product) IN (
    SELECT n.hospital, n.product
    FROM (${GROUP_LIVE}) AS n
    LEFT JOIN (SELECT hospital, product, live_at, 1 AS found FROM benefit_live FINAL WHERE {groups}) AS o
    ON n.hospital = o.hospital AND n.product = o.product
    WHERE o.found = 0 OR o.live_at != n.live_at
)`;

/** The report of each study of the cells, through its accession. */
const REPORTS_BY_STUDY = `
SELECT a.hospital AS hospital, a.study_key AS study_key, min(r.final_at) AS final_at, any(r.coded) AS coded
FROM (SELECT DISTINCT hospital, accession_key, study_key FROM study_accession_weeks WHERE {accessions}) AS a
INNER JOIN (
    SELECT hospital, accession_key, min(final_at) AS final_at, argMaxMerge(coded_finding) AS coded
    FROM reports
    WHERE {reports}
    GROUP BY hospital, accession_key
) AS r ON a.hospital = r.hospital AND a.accession_key = r.accession_key
GROUP BY a.hospital, a.study_key`;

/**
 * Every routed study x product of the cells with its report time, whether its
 * result was seen before signing, whether the product was live, and the AI's
 * and the report's findings, counted per cell x urgency x arm flags x case mix:
 * the whole-minute histogram of the reported studies, the states, and the
 * agreement's four counts.
 */
export const BENEFIT_CELLS = `
INSERT INTO benefit_cells (hospital, product, week, urgency, viewed_before, after_live, modality, age_band, ok, unreported, excluded, minutes,
    coded, both_positive, ai_only, report_only, both_negative, computed_at)
WITH concept != '' AND rep_concept = concept AND rep IN ('positive', 'negative') AND ai IN ('positive', 'negative') AS agreeable
SELECT hospital, product, week, urgency, viewed_before, after_live, modality, age_band,
       toUInt32(countIf(state = 'ok')), toUInt32(countIf(state = 'unreported')), toUInt32(countIf(state = 'excluded')),
       sumMapIf(map(minute, toUInt32(1)), state = 'ok'),
       toUInt32(countIf(agreeable)), toUInt32(countIf(agreeable AND ai = 'positive' AND rep = 'positive')),
       toUInt32(countIf(agreeable AND ai = 'positive' AND rep = 'negative')), toUInt32(countIf(agreeable AND ai = 'negative' AND rep = 'positive')),
       toUInt32(countIf(agreeable AND ai = 'negative' AND rep = 'negative')),
       {version:DateTime64(3, 'UTC')}
FROM (
    SELECT c.hospital AS hospital, c.product AS product, c.week AS week, c.urgency AS urgency, c.modality AS modality, c.age_band AS age_band,
           toUInt8(ifNull(c.first_viewed_at < r.final_at, 0)) AS viewed_before,
           toUInt8(ifNull(coalesce(c.acquired_at, c.received_at) >= g.live_at, 0)) AS after_live,
           multiIf(r.final_at IS NULL, 'unreported',
                   r.final_at < coalesce(c.acquired_at, c.received_at)
                     OR dateDiff('millisecond', coalesce(c.acquired_at, c.received_at), r.final_at) > ${MAX_REPORT_MINUTES} * 60000, 'excluded', 'ok') AS state,
           toInt32(ifNull(if(state = 'ok', floor(dateDiff('millisecond', coalesce(c.acquired_at, c.received_at), r.final_at) / 60000), -1), -1)) AS minute,
           c.finding AS ai,
           transform(toString(c.product), {concept_products:Array(String)}, {concept_names:Array(String)}, '') AS concept,
           tupleElement(r.coded, 1) AS rep_concept, tupleElement(r.coded, 2) AS rep
    FROM (SELECT hospital, product, week, study_key, urgency, modality, age_band, first_viewed_at, acquired_at, received_at, finding
          FROM study_cases {final} WHERE {cells}) AS c
    LEFT JOIN (${REPORTS_BY_STUDY}) AS r ON c.hospital = r.hospital AND c.study_key = r.study_key
    LEFT JOIN (${GROUP_LIVE}) AS g ON c.hospital = g.hospital AND c.product = g.product
)
GROUP BY hospital, product, week, urgency, viewed_before, after_live, modality, age_band`;

/**
 * The groups' histograms of acquisition to final report per urgency and arm, rolled up from
 * their cells: one row per group x urgency x arm, its minutes and their counts as two arrays
 * (a row per minute would be some 200 k rows to bring into JavaScript at national volume).
 */
export const BENEFIT_HISTOGRAMS = `
SELECT hospital, product, urgency, viewed_before, after_live, mapKeys(m) AS minutes, mapValues(m) AS counts
FROM (
    SELECT hospital, product, urgency, viewed_before, after_live, sumMap(minutes) AS m
    FROM benefit_cells {final}
    WHERE {groups}
    GROUP BY hospital, product, urgency, viewed_before, after_live
)
ORDER BY hospital, product, urgency, viewed_before, after_live`;

/** The groups' case mix per urgency and arm, rolled up from their cells. */
export const BENEFIT_MIX = `
SELECT hospital, product, urgency, viewed_before, after_live, modality, age_band,
       sum(ok) AS ok, sum(unreported) AS unreported, sum(excluded) AS excluded
FROM benefit_cells {final}
WHERE {groups}
GROUP BY hospital, product, urgency, viewed_before, after_live, modality, age_band
ORDER BY hospital, product, urgency, viewed_before, after_live, modality, age_band`;

const agreementCi = wilsonSql('(bp + bn)', 'n');

/** The report's coded finding against the AI's, for the products whose finding a report can code, rolled up from their cells. */
export const REPORT_AGREEMENT = `
INSERT INTO report_agreement
SELECT hospital, product, transform(toString(product), {concept_products:Array(String)}, {concept_names:Array(String)}, '') AS concept,
       n, bp, ao, ro, bn, (bp + bn) / n AS agreement, ${agreementCi.low} AS ci_low, ${agreementCi.high} AS ci_high,
       n < {small_cell:UInt32} AS small_cell, {version:DateTime64(3, 'UTC')}, 0
FROM (
    SELECT hospital, product, sum(coded) AS n, sum(both_positive) AS bp, sum(ai_only) AS ao, sum(report_only) AS ro, sum(both_negative) AS bn
    FROM benefit_cells {final}
    WHERE {groups}
    GROUP BY hospital, product
    HAVING n > 0
)`;

/** The product -> concept arrays the agreement SQL binds. */
function conceptParams(): { concept_products: string[]; concept_names: string[] } {
  const pairs = FINDING_CONCEPT_IDS.flatMap((c) => FINDING_CONCEPTS[c].products.map((p) => [p, c] as const));
  return { concept_products: pairs.map((p) => p[0]), concept_names: pairs.map((p) => p[1]) };
}

type Flag = 0 | 1;
interface MixRow {
  hospital: string;
  product: string;
  urgency: string;
  viewed_before: Flag;
  after_live: Flag;
  modality: string;
  age_band: string;
  ok: number;
  unreported: number;
  excluded: number;
}
interface HistogramRow {
  hospital: string;
  product: string;
  urgency: string;
  viewed_before: Flag;
  after_live: Flag;
  /** The whole minutes reported in, and how many studies each. */
  minutes: number[];
  counts: number[];
}

/** One arm's cases: its histogram and its mix, by the columns of the rows it selects. */
interface Arm {
  histogram: Histogram;
  mix: MixRow[];
}

const COMPARISONS = {
  /** After go-live: viewed before the final report (a) against not (b). */
  viewed: { a: (r: { viewed_before: Flag; after_live: Flag }) => r.after_live === 1 && r.viewed_before === 1, b: (r: { viewed_before: Flag; after_live: Flag }) => r.after_live === 1 && r.viewed_before === 0 },
  /** After the product went live (a) against before (b). */
  go_live: { a: (r: { after_live: Flag }) => r.after_live === 1, b: (r: { after_live: Flag }) => r.after_live === 0 },
} as const;

/** Shares of a factor's levels among an arm's reported cases. */
function shares(mix: MixRow[], level: (r: MixRow) => string): Map<string, number> {
  const counts = new Map<string, number>();
  let n = 0;
  for (const r of mix) {
    counts.set(level(r), (counts.get(level(r)) ?? 0) + Number(r.ok));
    n += Number(r.ok);
  }
  return new Map([...counts].filter(([, c]) => c > 0).map(([k, c]) => [k, n === 0 ? 0 : c / n]));
}

function distance(a: Map<string, number>, b: Map<string, number>): number {
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
  return d / 2;
}

const describeMix = (s: Map<string, number>) =>
  [...s].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([k, v]) => `${k} ${Math.round(v * 100)} %`).join(' · ');

/** One row of `benefit` from the two arms of a comparison. */
export function benefitRow(key: { hospital: string; product: string; urgency: string; comparison: string }, a: Arm, b: Arm, version: string): Row {
  const estimate = hodgesLehmann(a.histogram, b.histogram);
  const factors = {
    urgency: (r: MixRow) => r.urgency,
    modality: (r: MixRow) => r.modality,
    'age band': (r: MixRow) => r.age_band,
  };
  const cautions: string[] = [];
  let largest = 0;
  const mixes: Record<string, [Map<string, number>, Map<string, number>]> = {};
  for (const [name, level] of Object.entries(factors)) {
    const pair: [Map<string, number>, Map<string, number>] = [shares(a.mix, level), shares(b.mix, level)];
    mixes[name] = pair;
    if (estimate.n_a === 0 || estimate.n_b === 0) continue;
    const d = distance(...pair);
    largest = Math.max(largest, d);
    if (d >= CASE_MIX_CAUTION_DISTANCE) cautions.push(`${name} differs (${describeMix(pair[0])} against ${describeMix(pair[1])})`);
  }
  const acute = (m: Map<string, number>, n: number) => (n === 0 ? null : m.get('acute') ?? 0);
  const count = (field: 'unreported' | 'excluded') => [...a.mix, ...b.mix].reduce((s, r) => s + Number(r[field]), 0);
  return {
    ...key,
    n_a: estimate.n_a,
    n_b: estimate.n_b,
    median_a_min: estimate.median_a,
    median_b_min: estimate.median_b,
    median_difference_min: estimate.median_difference,
    difference_min: estimate.difference,
    ci_low_min: estimate.ci_low,
    ci_high_min: estimate.ci_high,
    acute_share_a: acute(mixes.urgency![0], estimate.n_a),
    acute_share_b: acute(mixes.urgency![1], estimate.n_b),
    modality_mix_a: describeMix(mixes.modality![0]),
    modality_mix_b: describeMix(mixes.modality![1]),
    age_mix_a: describeMix(mixes['age band']![0]),
    age_mix_b: describeMix(mixes['age band']![1]),
    case_mix_distance: largest,
    case_mix_caution: cautions.join('; '),
    unreported: count('unreported'),
    excluded: count('excluded'),
    small_cell: estimate.n_a < SMALL_ARM || estimate.n_b < SMALL_ARM ? 1 : 0,
    computed_at: version,
    is_deleted: 0,
  };
}

/** The rows of `benefit` for the hospitals' histograms and mixes: per urgency and for every urgency (''), per comparison. */
export function benefitRows(histograms: HistogramRow[], mixes: MixRow[], version: string): Row[] {
  const groupKey = (r: { hospital: string; product: string }) => `${r.hospital}\u0000${r.product}`;
  const groups = new Map<string, { hospital: string; product: string; h: HistogramRow[]; m: MixRow[] }>();
  const group = (r: { hospital: string; product: string }) => {
    let g = groups.get(groupKey(r));
    if (!g) groups.set(groupKey(r), (g = { hospital: r.hospital, product: r.product, h: [], m: [] }));
    return g;
  };
  for (const r of histograms) group(r).h.push(r);
  for (const r of mixes) group(r).m.push(r);
  const rows: Row[] = [];
  for (const g of [...groups.values()].sort((x, y) => groupKey(x).localeCompare(groupKey(y)))) {
    const urgencies = [...new Set(g.m.map((r) => r.urgency))].sort();
    for (const urgency of ['', ...urgencies]) {
      const inUrgency = <T extends { urgency: string }>(r: T) => urgency === '' || r.urgency === urgency;
      for (const [comparison, arms] of Object.entries(COMPARISONS)) {
        const arm = (pick: (r: { viewed_before: Flag; after_live: Flag }) => boolean): Arm => ({
          histogram: mergeHistograms(...g.h.filter((r) => inUrgency(r) && pick(r)).map((r) => r.minutes.map((m, i) => [Number(m), Number(r.counts[i])] as const))),
          mix: g.m.filter((r) => inUrgency(r) && pick(r)),
        });
        rows.push(benefitRow({ hospital: g.hospital, product: g.product, urgency, comparison }, arm(arms.a), arm(arms.b), version));
      }
    }
  }
  return rows;
}

/** The cells whose studies changed in what benefit reads, since the job's watermark (marked by the refresh of the per-study rows). */
export const MARKED_BENEFIT_CELLS = `
INSERT INTO benefit_scope
SELECT DISTINCT hospital, product, week FROM benefit_dirty_cells WHERE marked_at > {since:DateTime64(3, 'UTC')}`;

/** The studies whose accessions got a report (or a study) ingested in (reports_since, until], into `benefit_reported` (emptied first). */
export const REPORTED_STUDIES = `
INSERT INTO benefit_reported
SELECT hospital, study_key FROM study_accessions
WHERE (hospital, accession_key) IN (
    SELECT hospital, accession_key FROM report_accessions_touched
    WHERE ingested_at > {reports_since:DateTime64(3, 'UTC')} AND ingested_at <= {until:DateTime64(3, 'UTC')})`;

/**
 * The cells of those studies. Those among the studies this run refreshed (most: a new
 * study and its report come together) are where their refreshed rows are; only the others
 * are looked up in the index, so that five minutes of traffic look few keys up there.
 */
export const REPORTED_CELLS = `
INSERT INTO benefit_scope
SELECT DISTINCT hospital, product, week FROM study_cases_refresh
WHERE (hospital, study_key) IN (SELECT hospital, study_key FROM dirty_studies) AND (hospital, study_key) IN (SELECT hospital, study_key FROM benefit_reported)
UNION ALL
SELECT DISTINCT hospital, product, week FROM study_index FINAL
WHERE (hospital, study_key) IN (SELECT hospital, study_key FROM benefit_reported WHERE (hospital, study_key) NOT IN (SELECT hospital, study_key FROM dirty_studies))`;

const flag = (v: unknown): Flag => (Number(v) === 1 ? 1 : 0);

/** Hospitals recomputed together: each of the job's statements runs once per batch. */
export const BENEFIT_BATCH = 16;

export type BenefitParams = {
  version: string;
  tombstone: string;
  small_cell: number;
};

const CELL_KEY = ['hospital', 'product', 'week', 'urgency', 'viewed_before', 'after_live', 'modality', 'age_band'];

/**
 * Recomputes the benefit cells of a batch of hospitals and rolls them up into
 * `benefit` and `report_agreement` for their groups: the new rows, then (in
 * an incremental run) tombstones for the rows the scope had, so that a row it
 * no longer has disappears.
 */
async function benefitBatch(store: Store, batch: string[], scope: BenefitScope, params: BenefitParams, incremental: boolean): Promise<void> {
  const p: Params = { hospitals: batch, ...params, ...conceptParams() };
  await store.exec(fillBenefit(BENEFIT_CELLS, scope), p);
  if (incremental) await store.exec(fillBenefit(tombstones('benefit_cells', CELL_KEY, '{cells}'), scope), p);
  const rolled = { ...scope, final: incremental ? 'FINAL' : '' };
  const histograms = await store.query<HistogramRow>(fillBenefit(BENEFIT_HISTOGRAMS, rolled), p);
  const mixes = (await store.query<MixRow>(fillBenefit(BENEFIT_MIX, rolled), p)).map((r) => ({ ...r, viewed_before: flag(r.viewed_before), after_live: flag(r.after_live) }));
  const rows = benefitRows(histograms.map((r) => ({ ...r, viewed_before: flag(r.viewed_before), after_live: flag(r.after_live) })), mixes, params.version);
  if (rows.length > 0) await store.insert('benefit', rows);
  await store.exec(fillBenefit(REPORT_AGREEMENT, rolled), p);
  if (incremental) {
    await store.exec(fillBenefit(tombstones('benefit', ['hospital', 'product', 'urgency', 'comparison'], '{groups}'), scope), p);
    await store.exec(fillBenefit(tombstones('report_agreement', ['hospital', 'product'], '{groups}'), scope), p);
  }
}

const batches = (list: string[]) => Array.from({ length: Math.ceil(list.length / BENEFIT_BATCH) }, (_, i) => list.slice(i * BENEFIT_BATCH, (i + 1) * BENEFIT_BATCH));

/**
 * Rebuilds the benefit from the per-study rows (its tables were emptied): the
 * cells' go-lives, the groups', then the cells and their roll-ups a batch of
 * hospitals at a time (BENEFIT_BATCH), so that memory holds one batch's
 * join of studies and reports. Returns the hospitals.
 */
export async function rebuildBenefit(store: Store, params: BenefitParams, final: '' | 'FINAL'): Promise<number> {
  const hospitals = (await store.query<{ hospital: string }>(`SELECT DISTINCT hospital FROM study_cases ${final} ORDER BY hospital`)).map((r) => r.hospital);
  const every = { ...EVERY_BENEFIT_CELL, final };
  await store.exec(fillBenefit(BENEFIT_WEEKS, { ...every, cells: '1' }), params);
  await store.exec(fillBenefit(BENEFIT_LIVE, { ...every, groups: '1' }), params);
  for (const batch of batches(hospitals)) await benefitBatch(store, batch, every, params, false);
  return hospitals.length;
}

/**
 * Recomputes the benefit of the cells whose studies changed in what it reads
 * since `since`, and of the studies whose reports arrived since
 * `reportsSince`: their go-lives, the groups' (every cell of a group whose
 * go-live moved is counted again), the cells and their groups' roll-ups.
 * Returns the cells recomputed.
 */
export async function refreshBenefit(store: Store, window: { since: string; reportsSince: string; until: string }, params: BenefitParams): Promise<number> {
  await store.exec('TRUNCATE TABLE benefit_scope');
  await store.exec(MARKED_BENEFIT_CELLS, { since: window.since });
  await store.exec('TRUNCATE TABLE benefit_reported');
  await store.exec(REPORTED_STUDIES, { reports_since: window.reportsSince, until: window.until });
  await store.exec(REPORTED_CELLS);
  const hospitals = (await store.query<{ hospital: string }>('SELECT DISTINCT hospital FROM benefit_scope ORDER BY hospital')).map((r) => r.hospital);
  if (hospitals.length === 0) return 0;
  const p = { hospitals, ...params };
  await store.exec(fillBenefit(BENEFIT_WEEKS, SCOPED_BENEFIT_CELLS), p);
  await store.exec(fillBenefit(tombstones('benefit_weeks', ['hospital', 'product', 'week'], '{cells}'), SCOPED_BENEFIT_CELLS), p);
  await store.exec(fillBenefit(LIVE_MOVED, SCOPED_BENEFIT_CELLS), p);
  await store.exec(fillBenefit(BENEFIT_LIVE, SCOPED_BENEFIT_CELLS), p);
  await store.exec(fillBenefit(tombstones('benefit_live', ['hospital', 'product'], '{groups}'), SCOPED_BENEFIT_CELLS), p);
  // One batch: the scope is the few cells five minutes of traffic touch (a rebuild goes by batches of hospitals).
  await benefitBatch(store, hospitals, SCOPED_BENEFIT_CELLS, params, true);
  const [{ n }] = (await store.query<{ n: number }>('SELECT uniqExact(hospital, product, week) AS n FROM benefit_scope')) as [{ n: number }];
  await store.exec('TRUNCATE TABLE benefit_scope');
  return Number(n);
}
