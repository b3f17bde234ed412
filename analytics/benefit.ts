import { FINDING_CONCEPTS, FINDING_CONCEPT_IDS } from '../events/index.ts';
import type { Params, Row, Store } from '../store/index.ts';
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
 */

/** A report more than this long after the acquisition is left out (and counted): a backlog, not reading time. */
export const MAX_REPORT_MINUTES = 30 * 24 * 60;
/** Arms under this many studies are marked, not hidden. */
const SMALL_ARM = 10;
/** A factor whose distribution differs between the arms by this much (total variation distance) is named in the caution. */
export const CASE_MIX_CAUTION_DISTANCE = 0.1;

/** The report of each study of `{hospitals}`, through its accession. */
const REPORTS_BY_STUDY = `
SELECT a.hospital AS hospital, a.study_key AS study_key, min(r.final_at) AS final_at, any(r.coded) AS coded
FROM (SELECT DISTINCT hospital, accession_key, study_key FROM study_accessions WHERE hospital IN {hospitals:Array(String)}) AS a
INNER JOIN (
    SELECT hospital, accession_key, min(final_at) AS final_at, argMaxMerge(coded_finding) AS coded
    FROM reports WHERE hospital IN {hospitals:Array(String)} GROUP BY hospital, accession_key
) AS r ON a.hospital = r.hospital AND a.accession_key = r.accession_key
GROUP BY a.hospital, a.study_key`;

/**
 * Every routed study x product of `{hospitals}` with its report time, whether
 * its result was seen before signing, whether the product was live, and the
 * AI's and the report's findings, into the run's scratch table: one join of
 * the study rows with the reports per hospital, read by the three queries below.
 */
export const BENEFIT_CASES = `
INSERT INTO benefit_cases
SELECT c.hospital AS hospital, c.product AS product, c.urgency AS urgency, c.modality AS modality, c.age_band AS age_band,
       ifNull(c.first_viewed_at < r.final_at, 0) AS viewed_before,
       ifNull(coalesce(c.acquired_at, c.received_at) >= g.live_at, 0) AS after_live,
       multiIf(r.final_at IS NULL, 'unreported',
               r.final_at < coalesce(c.acquired_at, c.received_at)
                 OR dateDiff('millisecond', coalesce(c.acquired_at, c.received_at), r.final_at) > ${MAX_REPORT_MINUTES} * 60000, 'excluded', 'ok') AS state,
       if(state = 'ok', toInt32(floor(dateDiff('millisecond', coalesce(c.acquired_at, c.received_at), r.final_at) / 60000)), -1) AS minute,
       c.finding AS ai,
       transform(toString(c.product), {concept_products:Array(String)}, {concept_names:Array(String)}, '') AS concept,
       tupleElement(r.coded, 1) AS rep_concept, tupleElement(r.coded, 2) AS rep
FROM (SELECT * FROM study_cases FINAL WHERE hospital IN {hospitals:Array(String)}) AS c
LEFT JOIN (${REPORTS_BY_STUDY}) AS r ON c.hospital = r.hospital AND c.study_key = r.study_key
LEFT JOIN (
    SELECT hospital, product, least(ifNull(min(delivered_at), toDateTime64('2106-01-01 00:00:00', 3, 'UTC')),
                                    ifNull(min(first_viewed_at), toDateTime64('2106-01-01 00:00:00', 3, 'UTC'))) AS live_at
    FROM study_cases FINAL WHERE hospital IN {hospitals:Array(String)} GROUP BY hospital, product
) AS g ON c.hospital = g.hospital AND c.product = g.product`;

export const BENEFIT_HISTOGRAMS = `
SELECT hospital, product, urgency, viewed_before, after_live, minute, count() AS n
FROM benefit_cases WHERE hospital IN {hospitals:Array(String)} AND state = 'ok'
GROUP BY hospital, product, urgency, viewed_before, after_live, minute
ORDER BY hospital, product, urgency, viewed_before, after_live, minute`;

export const BENEFIT_MIX = `
SELECT hospital, product, urgency, viewed_before, after_live, modality, age_band,
       countIf(state = 'ok') AS ok, countIf(state = 'unreported') AS unreported, countIf(state = 'excluded') AS excluded
FROM benefit_cases WHERE hospital IN {hospitals:Array(String)}
GROUP BY hospital, product, urgency, viewed_before, after_live, modality, age_band`;

const agreementCi = wilsonSql('(both_positive + both_negative)', 'coded');

/** The report's coded finding against the AI's, for the products whose finding a report can code. */
export const REPORT_AGREEMENT = `
INSERT INTO report_agreement
SELECT hospital, product, concept, count() AS coded,
       countIf(ai = 'positive' AND rep = 'positive') AS both_positive, countIf(ai = 'positive' AND rep = 'negative') AS ai_only,
       countIf(ai = 'negative' AND rep = 'positive') AS report_only, countIf(ai = 'negative' AND rep = 'negative') AS both_negative,
       (both_positive + both_negative) / coded AS agreement, ${agreementCi.low} AS ci_low, ${agreementCi.high} AS ci_high,
       coded < {small_cell:UInt32} AS small_cell, {version:DateTime64(3, 'UTC')}, 0
FROM benefit_cases
WHERE hospital IN {hospitals:Array(String)} AND concept != '' AND rep_concept = concept AND rep IN ('positive', 'negative') AND ai IN ('positive', 'negative')
GROUP BY hospital, product, concept`;

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
  minute: number;
  n: number;
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
          histogram: mergeHistograms(g.h.filter((r) => inUrgency(r) && pick(r)).map((r) => [Number(r.minute), Number(r.n)] as const)),
          mix: g.m.filter((r) => inUrgency(r) && pick(r)),
        });
        rows.push(benefitRow({ hospital: g.hospital, product: g.product, urgency, comparison }, arm(arms.a), arm(arms.b), version));
      }
    }
  }
  return rows;
}

/** The hospitals whose reports (or accessions) were ingested in (since, until]. */
export const REPORT_HOSPITALS = `
SELECT DISTINCT hospital FROM reports_touched
WHERE ingested_at > {since:DateTime64(3, 'UTC')} AND ingested_at <= {until:DateTime64(3, 'UTC')}`;

/** The hospitals with cells marked since the job's last run (their studies changed). */
export const MARKED_HOSPITALS = "SELECT DISTINCT hospital FROM dirty_cells WHERE marked_at > {since:DateTime64(3, 'UTC')}";

const flag = (v: unknown): Flag => (Number(v) === 1 ? 1 : 0);

/** Hospitals recomputed together: each of the job's statements runs once per batch. */
export const BENEFIT_BATCH = 16;

/**
 * Recomputes `benefit` and `report_agreement` for the hospitals given (every
 * hospital of study_cases in a rebuild): their new rows, then tombstones for
 * the rows they had, so that a row they no longer have disappears. A batch
 * of hospitals at a time (BENEFIT_BATCH), so that memory holds one batch's
 * histograms and a run pays each statement once per batch, not per hospital.
 */
export async function recomputeBenefit(
  store: Store,
  hospitals: string[] | 'all',
  params: { version: string; tombstone: string; small_cell: number },
): Promise<number> {
  const list =
    hospitals === 'all' ? (await store.query<{ hospital: string }>('SELECT DISTINCT hospital FROM study_cases ORDER BY hospital')).map((r) => r.hospital) : [...hospitals].sort();
  for (let i = 0; i < list.length; i += BENEFIT_BATCH) {
    const batch = list.slice(i, i + BENEFIT_BATCH);
    const p: Params = { hospitals: batch, ...params, ...conceptParams() };
    await store.exec('TRUNCATE TABLE benefit_cases');
    await store.exec(BENEFIT_CASES, p);
    const histograms = await store.query<HistogramRow>(BENEFIT_HISTOGRAMS, p);
    const mixes = (await store.query<MixRow>(BENEFIT_MIX, p)).map((r) => ({ ...r, viewed_before: flag(r.viewed_before), after_live: flag(r.after_live) }));
    const rows = benefitRows(histograms.map((r) => ({ ...r, viewed_before: flag(r.viewed_before), after_live: flag(r.after_live) })), mixes, params.version);
    if (rows.length > 0) await store.insert('benefit', rows);
    await store.exec(REPORT_AGREEMENT, p);
    if (hospitals !== 'all') {
      for (const [table, key] of [['benefit', 'hospital, product, urgency, comparison'], ['report_agreement', 'hospital, product']] as const) {
        await store.exec(
          `INSERT INTO ${table} (${key}, computed_at, is_deleted) SELECT ${key}, {tombstone:DateTime64(3, 'UTC')}, 1 FROM ${table} FINAL WHERE hospital IN {hospitals:Array(String)}`,
          { hospitals: batch, tombstone: params.tombstone },
        );
      }
    }
  }
  await store.exec('TRUNCATE TABLE benefit_cases');
  return list.length;
}

/** The hospitals an incremental run recomputes: reports or accessions ingested since the reports' watermark, or cells marked since the job's. */
export async function benefitHospitals(store: Store, window: { cellsSince: string; reportsSince: string; until: string }): Promise<string[]> {
  const reported = await store.query<{ hospital: string }>(REPORT_HOSPITALS, { since: window.reportsSince, until: window.until });
  const marked = await store.query<{ hospital: string }>(MARKED_HOSPITALS, { since: window.cellsSince });
  return [...new Set([...reported, ...marked].map((r) => r.hospital))];
}
