import { createHash } from 'node:crypto';
import { binomialZ, chiSquareCritical } from './distributions.ts';
import { kept, MIN_BASELINE, mondayOf, NO_CHART, type DriftRow } from './drift.ts';
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

/** The chi-square critical values met so far (a function of alpha and the degrees of freedom alone). */
const criticalValues = new Map<string, number>();
const critical = (alpha: number, df: number) => kept(criticalValues, `${alpha}|${df}`, () => chiSquareCritical(alpha, df));

/**
 * The KS statistic of the reference's score histogram against each window's,
 * over the bins any day of the monitor has, in ascending order: the values
 * ksOfHistograms gives (a bin neither histogram has leaves both cumulative
 * shares, and so the maximum, as they were).
 */
function scoreBins(days: LabelFreeDay[]): { count: (ds: LabelFreeDay[]) => Float64Array } {
  const bins = [...new Set(days.flatMap((d) => d.score_bins.map(Number)))].sort((x, y) => x - y);
  const index = new Map(bins.map((b, i) => [b, i]));
  const count = (ds: LabelFreeDay[]) => {
    const c = new Float64Array(bins.length);
    for (const d of ds) {
      d.score_bins.forEach((bin, i) => {
        const j = index.get(Number(bin))!;
        c[j] = c[j]! + Number(d.score_counts[i]);
      });
    }
    return c;
  };
  return { count };
}

function ksOfCounts(a: Float64Array, na: number, b: Float64Array, nb: number): number {
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0 && b[i] === 0) continue;
    ca += a[i]!;
    cb += b[i]!;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  return d;
}

const DAY_MS = 86_400_000;
/** Days in a window, and consecutive windows that must be out for an alarm (the last and the one a week before it, and every one between). */
export const WINDOW_DAYS = 7;
const PERSIST_WINDOWS = WINDOW_DAYS + 1;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00.000Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One window's test: its statistic, the level at which it is out, the level at which it is watched, how many cases, or null when too few. */
type Test = { statistic: number; threshold: number; watch: number; n: number; min_detectable: number; magnitude: number } | null;

type LabelFreeMetric = 'positive_rate' | 'score_distribution' | 'input_mix';

interface Monitor {
  metric: LabelFreeMetric;
  /** Whether the monitor has a row: some day has outputs (positive share), scores (score distribution); the input mix always. */
  exists: (seen: Seen) => boolean;
  baseline: number;
  baseline_n: number;
  /** Whether the reference has enough cases to test against. */
  reference: boolean;
  test: (window: LabelFreeDay[]) => Test;
}

/** Whether some day so far had AI outputs, and scores. */
interface Seen {
  outputs: boolean;
  scores: boolean;
}

/** Where a metric's windows got to: the largest statistic, the run of windows out on each side up to the last (and where it began), the last window's test. */
interface WindowsState {
  windows: number;
  peak: number;
  up: number;
  upFrom: number;
  down: number;
  downFrom: number;
  last: Test;
}

/**
 * Everything the label-free monitors of a hospital x product x model version
 * carry from one window to the next: what a checkpoint holds (at the end of a
 * week, every window ending by its Sunday counted).
 */
export interface LabelFreeState {
  /** A digest of the reference days and where monitoring starts: a checkpoint of another reference is not resumed. */
  reference: string;
  /** The last window's end (ms). */
  end: number;
  seen: Seen;
  metrics: Partial<Record<LabelFreeMetric, WindowsState>>;
}

/** A digest of a monitor's reference: its days' counts and the first day monitored. */
function referenceDigest(reference: LabelFreeDay[], monitorFrom: number): string {
  const days = reference.map((d) => [d.day, Number(d.n), Number(d.positives), d.score_bins.map(Number), d.score_counts.map(Number), d.mix_keys, d.mix_counts.map(Number)]);
  return createHash('sha256').update(JSON.stringify([monitorFrom, days])).digest('hex').slice(0, 32);
}

const out = (t: Test, side: number) => t !== null && Math.abs(t.statistic) >= t.threshold && Math.sign(t.statistic) === side;

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
  return labelFreeMonitors(days, settings)!.rows;
}

/**
 * The label-free monitors (labelFreeRows) with a checkpoint at the end of
 * every week. Resumed from a checkpoint, `days` needs only the reference's days
 * and those from the checkpoint's week on; the rows are those of a run over
 * every day. Null when the checkpoint is of another reference (the days before
 * are then needed).
 */
export function labelFreeMonitors(days: LabelFreeDay[], settings: AnalyticsSettings, resume?: LabelFreeState): { rows: DriftRow[]; checkpoints: { week: string; state: LabelFreeState }[] } | null {
  const head = { hospital: days[0]!.hospital, product: days[0]!.product, model_version: days[0]!.model_version };
  const monitorFrom = dayMs(mondayOf(dayMs(days[0]!.day))) + settings.baselineWeeks * 7 * DAY_MS;
  const reference = days.filter((d) => dayMs(d.day) < monitorFrom);
  const digest = referenceDigest(reference, monitorFrom);
  if (resume && resume.reference !== digest) return null;
  // Complete days: before the last day seen.
  const lastDay = dayMs(days[days.length - 1]!.day);
  const byDay = new Map(days.map((d) => [dayMs(d.day), d]));
  const windowOf = (end: number) => {
    const w: LabelFreeDay[] = [];
    for (let t = end - (WINDOW_DAYS - 1) * DAY_MS; t <= end; t += DAY_MS) if (byDay.has(t)) w.push(byDay.get(t)!);
    return w;
  };

  const monitors: Monitor[] = [];
  const refN = reference.reduce((s, w) => s + Number(w.n), 0);
  const p0 = reference.reduce((s, w) => s + Number(w.positives), 0) / Math.max(1, refN);
  monitors.push({
    metric: 'positive_rate',
    exists: (seen) => seen.outputs,
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
  const bins = scoreBins(days);
  const a = bins.count(reference);
  const na = a.reduce((s, v) => s + v, 0);
  const scale = (x: number, y: number) => Math.sqrt((x + y) / (x * y));
  monitors.push({
    metric: 'score_distribution',
    exists: (seen) => seen.scores,
    baseline: 0,
    baseline_n: na,
    reference: na >= 20,
    test: (window) => {
      const b = bins.count(window);
      const nb = b.reduce((s, v) => s + v, 0);
      if (nb < 10) return null;
      const d = ksOfCounts(a, na, b, nb);
      const watch = KS_ALPHA_005 * scale(na, nb);
      return { statistic: d, threshold: KS_ALPHA_0001 * scale(na, nb), watch, n: nb, magnitude: d, min_detectable: watch };
    },
  });
  const referenceMix = new Map(MIX_DIMENSIONS.map((dim) => [dim, mixOf(reference, dim)]));
  // Each day's mix split by dimension once (keys in their order, so a window's categories come in the order mixOf gives).
  const dayMix = new Map(days.map((d) => [d, MIX_DIMENSIONS.map((dim) => mixOf([d], dim))]));
  const windowMix = (ws: LabelFreeDay[], dim: number) => {
    const m = new Map<string, number>();
    for (const d of ws) for (const [key, count] of dayMix.get(d)![dim]!) m.set(key, (m.get(key) ?? 0) + count);
    return m;
  };
  monitors.push({
    metric: 'input_mix',
    exists: () => true,
    baseline: 0,
    baseline_n: total(referenceMix.get('manufacturer')!),
    reference: total(referenceMix.get('manufacturer')!) >= 20,
    test: (window) => {
      const mixes = MIX_DIMENSIONS.map((_, i) => windowMix(window, i));
      const n = total(mixes[0]!);
      if (n < 10) return null;
      let worst = { ratio: -1, statistic: 0, threshold: 0, watch: 0 };
      for (const [i, dim] of MIX_DIMENSIONS.entries()) {
        const { statistic, df } = chiSquare(referenceMix.get(dim)!, mixes[i]!);
        const threshold = critical(0.005, df);
        if (statistic / threshold > worst.ratio) worst = { ratio: statistic / threshold, statistic, threshold, watch: critical(0.05, df) };
      }
      return { ...worst, n, magnitude: worst.statistic, min_detectable: 1 };
    },
  });

  // From the checkpoint (or the start), window by window; the days up to each window's end are seen.
  const state: LabelFreeState = resume
    ? (JSON.parse(JSON.stringify(resume)) as LabelFreeState)
    : { reference: digest, end: monitorFrom - DAY_MS, seen: { outputs: false, scores: false }, metrics: Object.fromEntries(monitors.filter((m) => m.reference).map((m) => [m.metric, { windows: 0, peak: 0, up: 0, upFrom: 0, down: 0, downFrom: 0, last: null }])) };
  const checkpoints: { week: string; state: LabelFreeState }[] = [];
  let next = days.findIndex((d) => dayMs(d.day) > state.end);
  if (next < 0) next = days.length;
  const see = (upTo: number) => {
    for (; next < days.length && dayMs(days[next]!.day) <= upTo; next++) {
      const d = days[next]!;
      if (Number(d.n) > 0) state.seen.outputs = true;
      if (d.score_bins.length > 0) state.seen.scores = true;
    }
  };
  see(state.end);
  for (let end = Math.max(state.end + DAY_MS, monitorFrom + (WINDOW_DAYS - 1) * DAY_MS); end < lastDay; end += DAY_MS) {
    see(end);
    const window = windowOf(end);
    for (const monitor of monitors) {
      const m = state.metrics[monitor.metric];
      if (!m) continue;
      const test = monitor.test(window);
      m.windows++;
      m.peak = Math.max(m.peak, test?.magnitude ?? 0);
      m.up = out(test, 1) ? m.up + 1 : 0;
      if (m.up === 1) m.upFrom = end;
      m.down = out(test, -1) ? m.down + 1 : 0;
      if (m.down === 1) m.downFrom = end;
      m.last = test;
    }
    state.end = end;
    // A week's checkpoint once its Sunday's window is counted.
    if (new Date(end).getUTCDay() === 0) checkpoints.push({ week: mondayOf(end), state: JSON.parse(JSON.stringify(state)) as LabelFreeState });
  }
  see(Infinity);

  const rows = monitors.filter((monitor) => monitor.exists(state.seen)).map((monitor): DriftRow => {
    const base = { ...head, ...NO_CHART, metric: monitor.metric, baseline: monitor.baseline, baseline_low: monitor.baseline, baseline_high: monitor.baseline, chart_baseline: monitor.baseline, baseline_n: monitor.baseline_n, expected_delay_days: WINDOW_DAYS };
    const m = state.metrics[monitor.metric];
    const t = m && m.windows > 0 ? m.last : null;
    if (!m || !t) return { ...base, n: 0, statistic: 0, threshold: 0, status: 'insufficient-data', since: null, min_detectable: 1, peak: 0 };
    // The run of consecutive windows out on the side of the last one, back from it.
    const side = Math.sign(t.statistic);
    const run = side === 1 ? m.up : side === -1 ? m.down : 0;
    const alarm = run >= PERSIST_WINDOWS;
    return {
      ...base,
      n: t.n,
      statistic: t.statistic,
      threshold: t.threshold,
      status: alarm ? 'alarm' : Math.abs(t.statistic) >= t.watch ? 'watch' : 'ok',
      since: alarm ? `${dayOf(side === 1 ? m.upFrom : m.downFrom)}T00:00:00.000Z` : null,
      min_detectable: t.min_detectable,
      peak: m.peak,
    };
  });
  return { rows, checkpoints };
}
