import type { Store } from '../store/index.ts';
import { calibrate, runCusum } from './cusum.ts';
import type { AnalyticsSettings } from './norms.ts';
import { DRIFT_CASES, POSITIVE_RATE_WEEKLY } from './queries.ts';
import { labelFreeMonitors } from './label-free.ts';
import { wilson } from './wilson.ts';

/** P(X >= x) for X ~ Binomial(n, p). */
export function binomialAtLeast(x: number, n: number, p: number): number {
  if (x <= 0) return 1;
  if (x > n) return 0;
  let pmf = Math.pow(1 - p, n);
  let below = 0;
  for (let k = 0; k < x; k++) {
    below += pmf;
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - below);
}

/** The standard normal quantile (Acklam's approximation), for tail probabilities as z-scores. */
function normalQuantile(q: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (q < 0.02425) {
    const t = Math.sqrt(-2 * Math.log(q));
    return (((((c[0]! * t + c[1]!) * t + c[2]!) * t + c[3]!) * t + c[4]!) * t + c[5]!) / ((((d[0]! * t + d[1]!) * t + d[2]!) * t + d[3]!) * t + 1);
  }
  const t = q - 0.5;
  const r = t * t;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * t) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

const WEEK_MS = 7 * 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

export interface DriftRow {
  hospital: string;
  product: string;
  model_version: string;
  metric: 'sensitivity' | 'specificity' | 'positive_rate' | 'score_distribution' | 'input_mix';
  baseline: number;
  baseline_n: number;
  n: number;
  statistic: number;
  threshold: number;
  status: 'alarm' | 'watch' | 'ok' | 'insufficient-data';
  since: string | null;
  target_arl_days: number;
  expected_delay_days: number;
  min_detectable: number;
  /** The highest the statistic reached in the window (for the CUSUM: did it ever alarm). */
  peak: number;
}

export interface DriftCase {
  hospital: string;
  product: string;
  model_version: string;
  at: number;
  ai: number;
  truth: number;
}

/** How long an alarm stays open after the monitor's last signal. */
const ALARM_OPEN_MS = 14 * DAY_MS;

/** Fewest reference cases (of the relevant truth) for a monitor to start. */
const MIN_BASELINE = 20;

/**
 * The drift monitors of each hospital x product x model version. A new model
 * version starts a new reference. Sensitivity and specificity: a Bernoulli
 * CUSUM on misses and on false positives, its threshold set for one false alarm
 * per `targetFalseAlarmYears` at the site's own volume of such cases, with the
 * expected delay to detect a fall of `shift`. Positive rate (no labels needed): a
 * p-chart of the last week's AI-positive share against the reference with
 * 3-sigma limits.
 */
export async function computeDrift(store: Store, from: string, to: string, settings: AnalyticsSettings): Promise<DriftRow[]> {
  const cases = await store.query<DriftCase>(DRIFT_CASES, { from, to });
  return [...driftOfCases(cases, settings), ...(await positiveRateCharts(store, from, to, settings)), ...(await labelFreeMonitors(store, from, to, settings))];
}

/** The sensitivity and specificity monitors over verdicted cases in time order (the same for any source of cases). */
export function driftOfCases(cases: DriftCase[], settings: AnalyticsSettings): DriftRow[] {
  const groups = new Map<string, DriftCase[]>();
  for (const c of cases) {
    const key = `${c.hospital}|${c.product}|${c.model_version}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
  }
  const rows: DriftRow[] = [];
  for (const group of groups.values()) {
    const { hospital, product, model_version } = group[0]!;
    const start = group[0]!.at;
    const baselineEnd = start + settings.baselineWeeks * WEEK_MS;
    const lastAt = group[group.length - 1]!.at;
    for (const metric of ['sensitivity', 'specificity'] as const) {
      const relevant = group.filter((c) => (metric === 'sensitivity' ? c.truth === 1 : c.truth === 0));
      const reference = relevant.filter((c) => c.at < baselineEnd);
      const monitored = relevant.filter((c) => c.at >= baselineEnd).map((c) => ({ at: c.at, failure: metric === 'sensitivity' ? c.ai === 0 : c.ai === 1 }));
      const failures = reference.filter((c) => (metric === 'sensitivity' ? c.ai === 0 : c.ai === 1)).length;
      // The reference failure rate is an estimate: the monitor takes the upper end of its
      // 95 % interval, so that a reference that happened to look good does not make
      // ordinary weeks look like drift (the price is a slightly longer detection delay).
      const p0 = Math.min(0.9, Math.max(wilson(failures, reference.length)[1], 0.5 / reference.length));
      const p1 = Math.min(0.99, p0 + settings.shift);
      const perDay = reference.length / Math.max(1, (Math.min(baselineEnd, lastAt) - start) / DAY_MS);
      const base = { hospital, product, model_version, metric, baseline: 1 - p0, baseline_n: reference.length, n: monitored.length, target_arl_days: settings.targetFalseAlarmYears * 365 };
      if (reference.length < MIN_BASELINE || perDay <= 0) {
        rows.push({ ...base, statistic: 0, threshold: 0, status: 'insufficient-data', since: null, expected_delay_days: 0, min_detectable: 1, peak: 0 });
        continue;
      }
      const { h, arl1 } = calibrate(p0, p1, Math.max(50, perDay * 365 * settings.targetFalseAlarmYears));
      const run = runCusum(monitored, p0, p1, h);
      // An alarm stays open while the monitor keeps signalling: until two weeks pass without a signal.
      const open = run.signals.length > 0 && run.signals[run.signals.length - 1]! >= lastAt - ALARM_OPEN_MS;
      let since: number | null = null;
      if (open) {
        since = run.signals[run.signals.length - 1]!;
        for (let i = run.signals.length - 2; i >= 0 && since - run.signals[i]! <= ALARM_OPEN_MS; i--) since = run.signals[i]!;
      }
      const status = open ? 'alarm' : run.statistic >= h / 2 ? 'watch' : 'ok';
      // The smallest fall a one-sided test (alpha 0.05, power 0.8) sees in the cases monitored so far.
      const minDetectable = monitored.length ? Math.min(1, 2.486 * Math.sqrt((p0 * (1 - p0)) / monitored.length)) : 1;
      rows.push({
        ...base,
        statistic: run.statistic,
        peak: run.max,
        threshold: h,
        status,
        since: since === null ? null : new Date(since).toISOString(),
        expected_delay_days: arl1 / perDay,
        min_detectable: minDetectable,
      });
    }
  }
  return rows;
}

async function positiveRateCharts(store: Store, from: string, to: string, settings: AnalyticsSettings): Promise<DriftRow[]> {
  const weeks = await store.query<{ hospital: string; product: string; model_version: string; week: string; positives: number; n: number }>(POSITIVE_RATE_WEEKLY, { from, to });
  const groups = new Map<string, typeof weeks>();
  for (const w of weeks) {
    const key = `${w.hospital}|${w.product}|${w.model_version}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(w);
  }
  const rows: DriftRow[] = [];
  for (const g of groups.values()) {
    const reference = g.slice(0, settings.baselineWeeks);
    const last = g.length > settings.baselineWeeks ? g[g.length - 1]! : null;
    const refN = reference.reduce((s, w) => s + w.n, 0);
    const p0 = reference.reduce((s, w) => s + w.positives, 0) / Math.max(1, refN);
    const base = { hospital: g[0]!.hospital, product: g[0]!.product, model_version: g[0]!.model_version, metric: 'positive_rate' as const, baseline: p0, baseline_n: refN, target_arl_days: 0, expected_delay_days: 7 };
    if (!last || refN < MIN_BASELINE || last.n < 5) {
      rows.push({ ...base, n: last?.n ?? 0, statistic: 0, threshold: 3, status: 'insufficient-data', since: null, min_detectable: 1, peak: 0 });
      continue;
    }
    // Exact binomial tails, as a z-score: counts are small for rare findings.
    const sd = Math.sqrt((p0 * (1 - p0)) / last.n) || 1e-9;
    const zOf = (week: { positives: number; n: number }) => {
      const upper = binomialAtLeast(week.positives, week.n, p0);
      const lower = 1 - binomialAtLeast(week.positives + 1, week.n, p0);
      return Math.sign(week.positives / week.n - p0) * Math.min(10, -normalQuantile(Math.max(Math.min(upper, lower), 1e-12)));
    };
    const z = zOf(last);
    const before = g.length > settings.baselineWeeks + 1 ? g[g.length - 2]! : null;
    // An alarm needs the week before out of limits on the same side: a change that persists.
    const persists = before !== null && before.n >= 5 && Math.abs(zOf(before)) >= 3 && Math.sign(zOf(before)) === Math.sign(z);
    rows.push({
      ...base,
      n: last.n,
      statistic: z,
      threshold: 3,
      status: Math.abs(z) >= 3 && persists ? 'alarm' : Math.abs(z) >= 2 ? 'watch' : 'ok',
      since: Math.abs(z) >= 3 && persists ? `${before!.week}T00:00:00.000Z` : null,
      min_detectable: Math.min(1, 3 * sd),
      peak: Math.abs(z),
    });
  }
  return rows;
}
