import { chiSquaredDistributionTable } from 'simple-statistics';
import type { Store } from '../store/index.ts';
import type { DriftRow } from './drift.ts';
import type { AnalyticsSettings } from './norms.ts';
import { INPUT_MIX_WEEKLY, SCORES_WEEKLY } from './queries.ts';

type Cell = { hospital: string; product: string; model_version: string; week: string };

function groupBy<T extends Cell>(rows: T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const key = `${r.hospital}|${r.product}|${r.model_version}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(r);
  }
  return [...groups.values()];
}

/**
 * Reference weeks, the last week and the one before it (null when there is no
 * week after the reference). An alarm needs both weeks out of bounds: a change
 * that persists, not one unlucky week among many monitors.
 */
function split<T extends Cell>(rows: T[], baselineWeeks: number): { reference: T[]; last: T[]; previous: T[] } | null {
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  if (weeks.length <= baselineWeeks) return null;
  const referenceWeeks = new Set(weeks.slice(0, baselineWeeks));
  const lastWeek = weeks[weeks.length - 1]!;
  const previousWeek = weeks.length > baselineWeeks + 1 ? weeks[weeks.length - 2]! : '';
  return {
    reference: rows.filter((r) => referenceWeeks.has(r.week)),
    last: rows.filter((r) => r.week === lastWeek),
    previous: rows.filter((r) => r.week === previousWeek),
  };
}

/** Two-sample Kolmogorov-Smirnov statistic D. */
export function ksStatistic(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Pearson's chi-square of two count vectors over the same categories (reference, current), and its degrees of freedom. */
export function chiSquare(reference: Map<string, number>, current: Map<string, number>): { statistic: number; df: number } {
  const categories = [...new Set([...reference.keys(), ...current.keys()])];
  const r = categories.map((c) => reference.get(c) ?? 0);
  const c = categories.map((k) => current.get(k) ?? 0);
  const nr = r.reduce((s, v) => s + v, 0);
  const nc = c.reduce((s, v) => s + v, 0);
  let statistic = 0;
  categories.forEach((_, k) => {
    const total = r[k]! + c[k]!;
    for (const [observed, n] of [[r[k]!, nr], [c[k]!, nc]] as const) {
      const expected = (total * n) / (nr + nc);
      if (expected > 0) statistic += (observed - expected) ** 2 / expected;
    }
  });
  return { statistic, df: Math.max(1, categories.length - 1) };
}

const KS_ALPHA_0001 = 1.949;
const KS_ALPHA_005 = 1.358;

/**
 * Label-free monitors, which move before verdicts come in: the last week's AI
 * score distribution against the reference (two-sample Kolmogorov-Smirnov,
 * out of bounds at alpha 0.001, watch at 0.05), and the last week's input mix —
 * scanner make, body part, age band — against the reference (Pearson chi-square
 * per dimension, the worst reported; out of bounds at alpha 0.005, watch at
 * 0.05). An alarm needs the week before out of bounds too.
 */
export async function labelFreeMonitors(store: Store, from: string, to: string, settings: AnalyticsSettings): Promise<DriftRow[]> {
  const rows: DriftRow[] = [];
  const common = { target_arl_days: 0, expected_delay_days: 7, since: null, peak: 0 };
  for (const group of groupBy(await store.query<Cell & { scores: number[] }>(SCORES_WEEKLY, { from, to }))) {
    const parts = split(group, settings.baselineWeeks);
    const head = { hospital: group[0]!.hospital, product: group[0]!.product, model_version: group[0]!.model_version, metric: 'score_distribution' as const };
    const a = parts?.reference.flatMap((r) => r.scores) ?? [];
    const b = parts?.last.flatMap((r) => r.scores) ?? [];
    if (a.length < 20 || b.length < 10) {
      rows.push({ ...head, ...common, baseline: 0, baseline_n: a.length, n: b.length, statistic: 0, threshold: 0, status: 'insufficient-data', min_detectable: 1 });
      continue;
    }
    const scale = Math.sqrt((a.length + b.length) / (a.length * b.length));
    const d = ksStatistic(a, b);
    const threshold = KS_ALPHA_0001 * scale;
    const p = parts!.previous.flatMap((r) => r.scores);
    const previousOut = p.length >= 10 && ksStatistic(a, p) >= KS_ALPHA_0001 * Math.sqrt((a.length + p.length) / (a.length * p.length));
    const status = d >= threshold && previousOut ? 'alarm' : d >= KS_ALPHA_005 * scale ? 'watch' : 'ok';
    rows.push({ ...head, ...common, since: status === 'alarm' ? `${parts!.previous[0]!.week}T00:00:00.000Z` : null, baseline: 0, baseline_n: a.length, n: b.length, statistic: d, threshold, status, min_detectable: KS_ALPHA_005 * scale });
  }
  type Mix = Cell & { manufacturer: string; body_part: string; age_band: string; n: number };
  for (const group of groupBy(await store.query<Mix>(INPUT_MIX_WEEKLY, { from, to }))) {
    const parts = split(group, settings.baselineWeeks);
    const head = { hospital: group[0]!.hospital, product: group[0]!.product, model_version: group[0]!.model_version, metric: 'input_mix' as const };
    const count = (rows: Mix[], dim: 'manufacturer' | 'body_part' | 'age_band') => {
      const m = new Map<string, number>();
      for (const r of rows) m.set(r[dim], (m.get(r[dim]) ?? 0) + Number(r.n));
      return m;
    };
    const total = (rows: Mix[] | undefined) => (rows ?? []).reduce((s, r) => s + Number(r.n), 0);
    if (!parts || total(parts.reference) < 20 || total(parts.last) < 10) {
      rows.push({ ...head, ...common, baseline: 0, baseline_n: total(parts?.reference), n: total(parts?.last), statistic: 0, threshold: 0, status: 'insufficient-data', min_detectable: 1 });
      continue;
    }
    const worstOf = (week: Mix[]) => {
      let worst = { ratio: -1, statistic: 0, threshold: 0, watch: 0 };
      for (const dim of ['manufacturer', 'body_part', 'age_band'] as const) {
        const { statistic, df } = chiSquare(count(parts.reference, dim), count(week, dim));
        const table = chiSquaredDistributionTable[Math.min(df, 30) as keyof typeof chiSquaredDistributionTable] as unknown as Record<string, number>;
        const threshold = table['0.005']!;
        if (statistic / threshold > worst.ratio) worst = { ratio: statistic / threshold, statistic, threshold, watch: table['0.05']! };
      }
      return worst;
    };
    const worst = worstOf(parts.last);
    const previousOut = total(parts.previous) >= 10 && worstOf(parts.previous).ratio >= 1;
    const status = worst.statistic >= worst.threshold && previousOut ? 'alarm' : worst.statistic >= worst.watch ? 'watch' : 'ok';
    rows.push({
      ...head,
      ...common,
      since: status === 'alarm' ? `${parts.previous[0]!.week}T00:00:00.000Z` : null,
      baseline: 0,
      baseline_n: total(parts.reference),
      n: total(parts.last),
      statistic: worst.statistic,
      threshold: worst.threshold,
      status,
      min_detectable: 1,
    });
  }
  return rows;
}
