import { binomialZ, chiSquareCritical } from './distributions.ts';
import { MIN_BASELINE, type DriftRow } from './drift.ts';
import type { AnalyticsSettings } from './norms.ts';

/** One week of a monitor's label-free counts (a row of drift_cells): AI outputs, positives, binned scores, input mix. */
export interface LabelFreeWeek {
  hospital: string;
  product: string;
  model_version: string;
  week: string;
  n: number;
  positives: number;
  score_bins: number[];
  score_counts: number[];
  mix_keys: string[];
  mix_counts: number[];
}

/** Two-sample Kolmogorov-Smirnov statistic D of two samples. */
export function ksStatistic(a: number[], b: number[]): number {
  const count = (xs: number[]) => {
    const m = new Map<number, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  return ksOfHistograms(count(a), count(b));
}

/** The same D over two histograms (value -> count): exact for the binned values. */
export function ksOfHistograms(a: Map<number, number>, b: Map<number, number>): number {
  const values = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  const na = [...a.values()].reduce((s, v) => s + v, 0);
  const nb = [...b.values()].reduce((s, v) => s + v, 0);
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (const v of values) {
    ca += a.get(v) ?? 0;
    cb += b.get(v) ?? 0;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  return d;
}

/** Pearson's chi-square of two count vectors over the same categories (reference, current), and its degrees of freedom. */
export function chiSquare(reference: Map<string, number>, current: Map<string, number>): { statistic: number; df: number } {
  const categories = [...new Set([...reference.keys(), ...current.keys()])];
  const nr = [...reference.values()].reduce((s, v) => s + v, 0);
  const nc = [...current.values()].reduce((s, v) => s + v, 0);
  let statistic = 0;
  for (const k of categories) {
    const r = reference.get(k) ?? 0;
    const c = current.get(k) ?? 0;
    for (const [observed, n] of [[r, nr], [c, nc]] as const) {
      const expected = ((r + c) * n) / (nr + nc);
      if (expected > 0) statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, df: Math.max(1, categories.length - 1) };
}

const KS_ALPHA_0001 = 1.949;
const KS_ALPHA_005 = 1.358;
const MIX_DIMENSIONS = ['manufacturer', 'body_part', 'age_band'] as const;

const histogramOf = (weeks: LabelFreeWeek[]) => {
  const m = new Map<number, number>();
  for (const w of weeks) w.score_bins.forEach((bin, i) => m.set(Number(bin), (m.get(Number(bin)) ?? 0) + Number(w.score_counts[i])));
  return m;
};
const total = (m: Map<unknown, number>) => [...m.values()].reduce((s, v) => s + v, 0);

function mixOf(weeks: LabelFreeWeek[], dimension: string): Map<string, number> {
  const m = new Map<string, number>();
  const prefix = `${dimension}=`;
  for (const w of weeks) {
    w.mix_keys.forEach((key, i) => {
      if (key.startsWith(prefix)) m.set(key, (m.get(key) ?? 0) + Number(w.mix_counts[i]));
    });
  }
  return m;
}

/**
 * The label-free monitors of one hospital x product x model version over its
 * weekly counts (in week order), which move before verdicts come in. Against
 * the first `baselineWeeks` weeks: the last week's AI-positive share (exact
 * binomial tails as a z-score, out at |z| >= 3), its score distribution
 * (two-sample Kolmogorov-Smirnov over scores in hundredths, alpha 0.001) and
 * its input mix — scanner make, body part, age band — (Pearson chi-square per
 * dimension with its exact critical value, alpha 0.005, the worst reported).
 * An alarm needs the week before out on the same side too: a change that
 * persists, not one unlucky week among many monitors.
 */
export function labelFreeRows(weeks: LabelFreeWeek[], settings: AnalyticsSettings): DriftRow[] {
  const head = { hospital: weeks[0]!.hospital, product: weeks[0]!.product, model_version: weeks[0]!.model_version };
  const common = { ...head, target_arl_days: 0, expected_delay_days: 7, peak: 0 };
  const reference = weeks.slice(0, settings.baselineWeeks);
  const last = weeks.length > settings.baselineWeeks ? weeks[weeks.length - 1]! : null;
  const previous = weeks.length > settings.baselineWeeks + 1 ? weeks[weeks.length - 2]! : null;
  const since = (w: LabelFreeWeek) => `${w.week}T00:00:00.000Z`;
  const rows: DriftRow[] = [];

  const refN = reference.reduce((s, w) => s + Number(w.n), 0);
  if (weeks.some((w) => Number(w.n) > 0)) {
    const p0 = reference.reduce((s, w) => s + Number(w.positives), 0) / Math.max(1, refN);
    const base = { ...common, metric: 'positive_rate' as const, baseline: p0, baseline_n: refN };
    if (!last || refN < MIN_BASELINE || last.n < 5) {
      rows.push({ ...base, n: last?.n ?? 0, statistic: 0, threshold: 3, status: 'insufficient-data', since: null, min_detectable: 1 });
    } else {
      const z = binomialZ(Number(last.positives), Number(last.n), p0);
      const zBefore = previous && previous.n >= 5 ? binomialZ(Number(previous.positives), Number(previous.n), p0) : 0;
      const alarm = Math.abs(z) >= 3 && Math.abs(zBefore) >= 3 && Math.sign(zBefore) === Math.sign(z);
      rows.push({
        ...base,
        n: Number(last.n),
        statistic: z,
        threshold: 3,
        status: alarm ? 'alarm' : Math.abs(z) >= 2 ? 'watch' : 'ok',
        since: alarm ? since(previous!) : null,
        min_detectable: Math.min(1, 3 * (Math.sqrt((p0 * (1 - p0)) / Number(last.n)) || 1e-9)),
        peak: Math.abs(z),
      });
    }
  }

  if (weeks.some((w) => w.score_bins.length > 0)) {
    const a = histogramOf(reference);
    const b = last ? histogramOf([last]) : new Map<number, number>();
    const base = { ...common, metric: 'score_distribution' as const, baseline: 0, baseline_n: total(a), n: total(b) };
    if (total(a) < 20 || total(b) < 10) {
      rows.push({ ...base, statistic: 0, threshold: 0, status: 'insufficient-data', since: null, min_detectable: 1 });
    } else {
      const scale = (x: number, y: number) => Math.sqrt((x + y) / (x * y));
      const d = ksOfHistograms(a, b);
      const threshold = KS_ALPHA_0001 * scale(total(a), total(b));
      const p = previous ? histogramOf([previous]) : new Map<number, number>();
      const previousOut = total(p) >= 10 && ksOfHistograms(a, p) >= KS_ALPHA_0001 * scale(total(a), total(p));
      const status = d >= threshold && previousOut ? 'alarm' : d >= KS_ALPHA_005 * scale(total(a), total(b)) ? 'watch' : 'ok';
      rows.push({ ...base, statistic: d, threshold, status, since: status === 'alarm' ? since(previous!) : null, min_detectable: KS_ALPHA_005 * scale(total(a), total(b)) });
    }
  }

  const mixTotal = (ws: LabelFreeWeek[]) => total(mixOf(ws, 'manufacturer'));
  const base = { ...common, metric: 'input_mix' as const, baseline: 0, baseline_n: mixTotal(reference), n: last ? mixTotal([last]) : 0 };
  if (!last || mixTotal(reference) < 20 || mixTotal([last]) < 10) {
    rows.push({ ...base, statistic: 0, threshold: 0, status: 'insufficient-data', since: null, min_detectable: 1 });
  } else {
    const worstOf = (week: LabelFreeWeek) => {
      let worst = { ratio: -1, statistic: 0, threshold: 0, watch: 0 };
      for (const dim of MIX_DIMENSIONS) {
        const { statistic, df } = chiSquare(mixOf(reference, dim), mixOf([week], dim));
        const threshold = chiSquareCritical(0.005, df);
        if (statistic / threshold > worst.ratio) worst = { ratio: statistic / threshold, statistic, threshold, watch: chiSquareCritical(0.05, df) };
      }
      return worst;
    };
    const worst = worstOf(last);
    const previousOut = previous !== null && mixTotal([previous]) >= 10 && worstOf(previous).ratio >= 1;
    const status = worst.statistic >= worst.threshold && previousOut ? 'alarm' : worst.statistic >= worst.watch ? 'watch' : 'ok';
    rows.push({ ...base, statistic: worst.statistic, threshold: worst.threshold, status, since: status === 'alarm' ? since(previous!) : null, min_detectable: 1 });
  }
  return rows;
}
