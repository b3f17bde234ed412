import { calibrate, cusumWeights } from './cusum.ts';
import type { AnalyticsSettings } from './norms.ts';
import { wilson } from './wilson.ts';

const DAY_MS = 24 * 3600_000;
const WEEK_MS = 7 * DAY_MS;

export type DriftMetric = 'sensitivity' | 'specificity' | 'positive_rate' | 'score_distribution' | 'input_mix';

export interface DriftRow {
  hospital: string;
  product: string;
  model_version: string;
  metric: DriftMetric;
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
  /** The highest the statistic reached (for the CUSUM: did it ever alarm). */
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

/** The verdicted binary cases of a monitor's week: what its reference is made of. */
export interface VerdictedWeek {
  week: string;
  tp: number;
  fn: number;
  tn: number;
  fp: number;
}

/** How long an alarm stays open after the monitor's last signal. */
const ALARM_OPEN_MS = 14 * DAY_MS;

/** Fewest reference cases (of the relevant truth) for a monitor to start. */
export const MIN_BASELINE = 20;

const RATE_METRICS = ['sensitivity', 'specificity'] as const;
type RateMetric = (typeof RATE_METRICS)[number];

interface MetricReference {
  p0: number;
  p1: number;
  h: number;
  arl1: number;
  n: number;
  perDay: number;
  /** The CUSUM's step for a failure and for a success. */
  wFailure: number;
  wSuccess: number;
}

/** A monitor's reference: its first weeks of verdicted cases, and the CUSUM tuned on them. */
export interface MonitorReference {
  /** Monday of the first week with verdicted cases. */
  firstWeek: string;
  /** Cases from here on are monitored (the weeks before are the reference). */
  monitorFrom: number;
  /** Reference cases of each metric's truth (verdict-positive, verdict-negative). */
  referenceN: Record<RateMetric, number>;
  metrics: Record<RateMetric, MetricReference | null>;
}

interface CusumState {
  s: number;
  max: number;
  n: number;
  /** Signals so far (each one restarts the statistic). */
  signals: number;
  chainStart: number | null;
  lastSignal: number | null;
}

/** Everything a monitor carries from one case to the next: what a checkpoint holds. */
export interface MonitorState {
  /** The reference it was run with: a checkpoint of another reference is not resumed. */
  reference: string;
  lastAt: number | null;
  metrics: Record<RateMetric, CusumState>;
}

const mondayMs = (week: string) => Date.parse(`${week}T00:00:00.000Z`);

/** The Monday (UTC, as ClickHouse's toMonday) of the week a time falls in, YYYY-MM-DD. */
export function mondayOf(ms: number): string {
  const day = new Date(ms);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - ((day.getUTCDay() + 6) % 7))).toISOString().slice(0, 10);
}

/**
 * The reference of a monitor from its weekly verdicted counts (in week order):
 * the first `baselineWeeks` calendar weeks from the first verdicted case. The
 * failure rate (misses among verdict-positive cases, false positives among
 * verdict-negative ones) is taken at the upper end of its 95 % interval, so that
 * a reference that happened to look good does not make ordinary weeks look like
 * drift; the threshold gives one false alarm per `targetFalseAlarmYears` at the
 * site's own volume of such cases.
 */
export function referenceOf(weeks: VerdictedWeek[], settings: AnalyticsSettings): MonitorReference {
  const firstWeek = weeks[0]!.week;
  const monitorFrom = mondayMs(firstWeek) + settings.baselineWeeks * WEEK_MS;
  const inReference = weeks.filter((w) => mondayMs(w.week) < monitorFrom);
  const sum = (f: (w: VerdictedWeek) => number) => inReference.reduce((s, w) => s + Number(f(w)), 0);
  const counts: Record<RateMetric, [number, number]> = {
    sensitivity: [sum((w) => w.fn), sum((w) => w.tp + w.fn)],
    specificity: [sum((w) => w.fp), sum((w) => w.tn + w.fp)],
  };
  const metrics = {} as Record<RateMetric, MetricReference | null>;
  for (const metric of RATE_METRICS) {
    const [failures, n] = counts[metric];
    if (n < MIN_BASELINE) {
      metrics[metric] = null;
      continue;
    }
    const p0 = Math.min(0.9, Math.max(wilson(failures, n)[1], 0.5 / n));
    const p1 = Math.min(0.99, p0 + settings.shift);
    const perDay = n / (settings.baselineWeeks * 7);
    const { h, arl1 } = calibrate(p0, p1, Math.max(50, perDay * 365 * settings.targetFalseAlarmYears));
    const w = cusumWeights(p0, p1);
    metrics[metric] = { p0, p1, h, arl1, n, perDay, wFailure: w.failure, wSuccess: w.success };
  }
  return { firstWeek, monitorFrom, referenceN: { sensitivity: counts.sensitivity[1], specificity: counts.specificity[1] }, metrics };
}

export const fingerprint = (reference: MonitorReference) => JSON.stringify(reference);

export function freshState(reference: MonitorReference): MonitorState {
  const empty = (): CusumState => ({ s: 0, max: 0, n: 0, signals: 0, chainStart: null, lastSignal: null });
  return { reference: fingerprint(reference), lastAt: null, metrics: { sensitivity: empty(), specificity: empty() } };
}

/**
 * One case through the monitor: a one-sided Bernoulli CUSUM per metric that
 * restarts from zero after each signal. A signal within two weeks of the last
 * one continues the same alarm; otherwise it starts a new one.
 */
export function step(state: MonitorState, reference: MonitorReference, at: number, ai: number, truth: number): void {
  state.lastAt = at;
  if (at < reference.monitorFrom) return;
  const metric: RateMetric = truth === 1 ? 'sensitivity' : 'specificity';
  const ref = reference.metrics[metric];
  if (!ref) return;
  const failure = truth === 1 ? ai === 0 : ai === 1;
  const m = state.metrics[metric];
  m.n++;
  m.s = Math.max(0, m.s + (failure ? ref.wFailure : ref.wSuccess));
  m.max = Math.max(m.max, m.s);
  if (m.s >= ref.h) {
    if (m.lastSignal === null || at - m.lastSignal > ALARM_OPEN_MS) m.chainStart = at;
    m.lastSignal = at;
    m.signals++;
    m.s = 0;
  }
}

/** The sensitivity and specificity rows of a monitor in its current state. */
export function monitorRows(head: { hospital: string; product: string; model_version: string }, reference: MonitorReference, state: MonitorState, settings: AnalyticsSettings): DriftRow[] {
  return RATE_METRICS.map((metric) => {
    const ref = reference.metrics[metric];
    const base = { ...head, metric, target_arl_days: settings.targetFalseAlarmYears * 365 };
    if (!ref) {
      return { ...base, baseline: 1, baseline_n: reference.referenceN[metric], n: 0, statistic: 0, threshold: 0, status: 'insufficient-data', since: null, expected_delay_days: 0, min_detectable: 1, peak: 0 };
    }
    const m = state.metrics[metric];
    const open = m.lastSignal !== null && state.lastAt !== null && m.lastSignal >= state.lastAt - ALARM_OPEN_MS;
    return {
      ...base,
      baseline: 1 - ref.p0,
      baseline_n: ref.n,
      n: m.n,
      statistic: m.s,
      threshold: ref.h,
      status: open ? 'alarm' : m.s >= ref.h / 2 ? 'watch' : 'ok',
      since: open && m.chainStart !== null ? new Date(m.chainStart).toISOString() : null,
      expected_delay_days: ref.arl1 / ref.perDay,
      // The smallest fall a one-sided test (alpha 0.05, power 0.8) sees in the cases monitored so far.
      min_detectable: m.n ? Math.min(1, 2.486 * Math.sqrt((ref.p0 * (1 - ref.p0)) / m.n)) : 1,
      peak: m.max,
    };
  });
}

/** The weekly verdicted counts of a list of cases (Mondays, UTC). */
export function verdictedWeeks(cases: DriftCase[]): VerdictedWeek[] {
  const weeks = new Map<string, VerdictedWeek>();
  for (const c of cases) {
    const week = mondayOf(c.at);
    const w = weeks.get(week) ?? weeks.set(week, { week, tp: 0, fn: 0, tn: 0, fp: 0 }).get(week)!;
    if (c.truth === 1) c.ai === 1 ? w.tp++ : w.fn++;
    else c.ai === 1 ? w.fp++ : w.tn++;
  }
  return [...weeks.values()].sort((a, b) => a.week.localeCompare(b.week));
}

/**
 * The sensitivity and specificity monitors over verdicted cases in time order,
 * from a fresh start: the same reference and steps as the analytics runs use.
 */
export function driftOfCases(cases: DriftCase[], settings: AnalyticsSettings): DriftRow[] {
  const groups = new Map<string, DriftCase[]>();
  for (const c of cases) {
    const key = `${c.hospital}|${c.product}|${c.model_version}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
  }
  const rows: DriftRow[] = [];
  for (const group of groups.values()) {
    const reference = referenceOf(verdictedWeeks(group), settings);
    const state = freshState(reference);
    for (const c of group) step(state, reference, c.at, c.ai, c.truth);
    rows.push(...monitorRows(group[0]!, reference, state, settings));
  }
  return rows;
}
