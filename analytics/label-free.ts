import { binomialZ, chiSquareCritical } from './distributions.ts';
import { MIN_BASELINE, mondayOf, NO_CHART, type DriftRow } from './drift.ts';
import type { AnalyticsSettings } from './norms.ts';

/** One day of a monitor's label-free counts (a row of drift_cells): AI outputs, positives, binned scores, input mix. */
export interface LabelFreeDay {
  hospital: string;
  product: string;
  model_version: string;
  day: string;
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

const histogramOf = (days: LabelFreeDay[]) => {
  const m = new Map<number, number>();
  for (const w of days) w.score_bins.forEach((bin, i) => m.set(Number(bin), (m.get(Number(bin)) ?? 0) + Number(w.score_counts[i])));
  return m;
};
const total = (m: Map<unknown, number>) => [...m.values()].reduce((s, v) => s + v, 0);

function mixOf(days: LabelFreeDay[], dimension: string): Map<string, number> {
  const m = new Map<string, number>();
  const prefix = `${dimension}=`;
  for (const w of days) {
    w.mix_keys.forEach((key, i) => {
      if (key.startsWith(prefix)) m.set(key, (m.get(key) ?? 0) + Number(w.mix_counts[i]));
    });
  }
  return m;
}

const DAY_MS = 86_400_000;
/** Days in a window, and consecutive windows that must be out for an alarm (the last and the one a week before it, and every one between). */
export const WINDOW_DAYS = 7;
const PERSIST_WINDOWS = WINDOW_DAYS + 1;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00.000Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One window's test: its statistic, the level at which it is out, the level at which it is watched, how many cases, or null when too few. */
type Test = { statistic: number; threshold: number; watch: number; n: number; min_detectable: number; magnitude: number } | null;

interface Monitor {
  metric: 'positive_rate' | 'score_distribution' | 'input_mix';
  baseline: number;
  baseline_n: number;
  /** Whether the reference has enough cases to test against. */
  reference: boolean;
  test: (window: LabelFreeDay[]) => Test;
}

/**
 * The label-free monitors of one hospital x product x model version over its
 * daily counts (in day order), which move before verdicts come in. The
 * reference is the first `baselineWeeks` calendar weeks; every complete day
 * after it (the last day seen may still be filling, so it is left out) ends a
 * window of the last seven days, which is tested against the reference: its
 * AI-positive share (exact binomial tails as a z-score, out at |z| >= 3), its
 * score distribution (two-sample Kolmogorov-Smirnov over scores in hundredths,
 * alpha 0.001) and its input mix — scanner make, body part, age band —
 * (Pearson chi-square per dimension with its exact critical value, alpha
 * 0.005, the worst reported). A window holds whole weeks of weekdays, so the
 * result does not depend on the weekday it is read. An alarm needs the last
 * eight windows out on the same side (the last and the one a week before it,
 * which share no day, and all between): a change that persists, not one
 * unlucky week among many monitors. `since` is the last day of the first window
 * of that run of windows out (the first day the change showed), `peak` the
 * largest statistic of any window.
 */
export function labelFreeRows(days: LabelFreeDay[], settings: AnalyticsSettings): DriftRow[] {
  const head = { hospital: days[0]!.hospital, product: days[0]!.product, model_version: days[0]!.model_version };
  const monitorFrom = dayMs(mondayOf(dayMs(days[0]!.day))) + settings.baselineWeeks * 7 * DAY_MS;
  const reference = days.filter((d) => dayMs(d.day) < monitorFrom);
  // Complete days: before the last day seen.
  const lastDay = dayMs(days[days.length - 1]!.day);
  const byDay = new Map(days.map((d) => [dayMs(d.day), d]));
  const windowEnds: number[] = [];
  for (let end = monitorFrom + (WINDOW_DAYS - 1) * DAY_MS; end < lastDay; end += DAY_MS) windowEnds.push(end);
  const windowOf = (end: number) => {
    const w: LabelFreeDay[] = [];
    for (let t = end - (WINDOW_DAYS - 1) * DAY_MS; t <= end; t += DAY_MS) if (byDay.has(t)) w.push(byDay.get(t)!);
    return w;
  };

  const monitors: Monitor[] = [];
  const refN = reference.reduce((s, w) => s + Number(w.n), 0);
  if (days.some((w) => Number(w.n) > 0)) {
    const p0 = reference.reduce((s, w) => s + Number(w.positives), 0) / Math.max(1, refN);
    monitors.push({
      metric: 'positive_rate',
      baseline: p0,
      baseline_n: refN,
      reference: refN >= MIN_BASELINE,
      test: (window) => {
        const n = window.reduce((s, w) => s + Number(w.n), 0);
        if (n < 5) return null;
        const z = binomialZ(window.reduce((s, w) => s + Number(w.positives), 0), n, p0);
        return { statistic: z, threshold: 3, watch: 2, n, magnitude: Math.abs(z), min_detectable: Math.min(1, 3 * (Math.sqrt((p0 * (1 - p0)) / n) || 1e-9)) };
      },
    });
  }
  if (days.some((w) => w.score_bins.length > 0)) {
    const a = histogramOf(reference);
    const scale = (x: number, y: number) => Math.sqrt((x + y) / (x * y));
    monitors.push({
      metric: 'score_distribution',
      baseline: 0,
      baseline_n: total(a),
      reference: total(a) >= 20,
      test: (window) => {
        const b = histogramOf(window);
        if (total(b) < 10) return null;
        const d = ksOfHistograms(a, b);
        const watch = KS_ALPHA_005 * scale(total(a), total(b));
        return { statistic: d, threshold: KS_ALPHA_0001 * scale(total(a), total(b)), watch, n: total(b), magnitude: d, min_detectable: watch };
      },
    });
  }
  const mixTotal = (ws: LabelFreeDay[]) => total(mixOf(ws, 'manufacturer'));
  monitors.push({
    metric: 'input_mix',
    baseline: 0,
    baseline_n: mixTotal(reference),
    reference: mixTotal(reference) >= 20,
    test: (window) => {
      if (mixTotal(window) < 10) return null;
      let worst = { ratio: -1, statistic: 0, threshold: 0, watch: 0 };
      for (const dim of MIX_DIMENSIONS) {
        const { statistic, df } = chiSquare(mixOf(reference, dim), mixOf(window, dim));
        const threshold = chiSquareCritical(0.005, df);
        if (statistic / threshold > worst.ratio) worst = { ratio: statistic / threshold, statistic, threshold, watch: chiSquareCritical(0.05, df) };
      }
      return { ...worst, n: mixTotal(window), magnitude: worst.statistic, min_detectable: 1 };
    },
  });

  return monitors.map((monitor): DriftRow => {
    const base = { ...head, ...NO_CHART, metric: monitor.metric, baseline: monitor.baseline, baseline_low: monitor.baseline, baseline_high: monitor.baseline, chart_baseline: monitor.baseline, baseline_n: monitor.baseline_n, expected_delay_days: WINDOW_DAYS };
    const tests = monitor.reference ? windowEnds.map((end) => ({ end, test: monitor.test(windowOf(end)) })) : [];
    const last = tests[tests.length - 1];
    if (!last?.test) return { ...base, n: last?.test?.n ?? 0, statistic: 0, threshold: 0, status: 'insufficient-data', since: null, min_detectable: 1, peak: 0 };
    const out = (t: Test, side: number) => t !== null && Math.abs(t.statistic) >= t.threshold && Math.sign(t.statistic) === side;
    const side = Math.sign(last.test.statistic);
    // The run of consecutive windows out on the side of the last one, back from it.
    let run = 0;
    while (run < tests.length && out(tests[tests.length - 1 - run]!.test, side)) run++;
    const alarm = run >= PERSIST_WINDOWS;
    const t = last.test;
    return {
      ...base,
      n: t.n,
      statistic: t.statistic,
      threshold: t.threshold,
      status: alarm ? 'alarm' : Math.abs(t.statistic) >= t.watch ? 'watch' : 'ok',
      since: alarm ? `${dayOf(tests[tests.length - run]!.end)}T00:00:00.000Z` : null,
      min_detectable: t.min_detectable,
      peak: Math.max(0, ...tests.map((x) => x.test?.magnitude ?? 0)),
    };
  });
}
