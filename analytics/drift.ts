import { chartRate, cusumWeights, guaranteedThresholds, posteriorRates, runLength, runLengthRoot, shiftedRate, simulatedDelay, simulatedRunLength, thresholdFor } from './cusum.ts';
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
  /** The observed reference value (sensitivity, specificity, positive share) and its 95 % Wilson interval. */
  baseline: number;
  baseline_low: number;
  baseline_high: number;
  /** The value the chart is tuned from (the observed one, with never fewer than half a failure). */
  chart_baseline: number;
  baseline_n: number;
  n: number;
  statistic: number;
  threshold: number;
  status: 'alarm' | 'watch' | 'ok' | 'insufficient-data';
  /** The first signal of the open alarm episode (label-free: the first day of the run of windows out). */
  since: string | null;
  /** Where the open episode's chart last stood at zero: its estimate of when the change began. */
  onset: string | null;
  /** The in-control run length the threshold is guaranteed to meet (with `guarantee` probability), in days. */
  target_arl_days: number;
  /** The in-control run length at the estimated reference rate, in days at the site's volume. */
  arl_days: number;
  /** Expected days from a fall of 0.05, 0.10 (`expected_delay_days`) and 0.20 to the first signal, at the site's volume. */
  delay_005_days: number;
  expected_delay_days: number;
  delay_020_days: number;
  min_detectable: number;
  /** The highest the statistic reached (for the CUSUMs: did it ever signal). */
  peak: number;
}

/** The fields a monitor without a chart leaves at their neutral values. */
export const NO_CHART = { onset: null, target_arl_days: 0, arl_days: 0, delay_005_days: 0, delay_020_days: 0 } as const;

/** One alarm episode of a sensitivity or specificity monitor: from its first signal until the close test says the rate is back. */
export interface Episode {
  /** Where the signalling chart last stood at zero (ms): the estimated onset of the change. */
  onset: number;
  firstSignal: number;
  closed: number | null;
  /** The fall (absolute) of the chart that signalled. */
  shift: number;
  /** The highest evidence of the signalling chart over the episode, in units of its threshold. */
  peak: number;
  cases: number;
  failures: number;
}

export interface EpisodeRow {
  hospital: string;
  product: string;
  model_version: string;
  metric: RateMetric;
  onset: string;
  first_signal: string;
  closed: string | null;
  shift: number;
  peak: number;
  cases: number;
  failures: number;
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

/** Fewest reference cases (of the relevant truth) for a monitor to start. */
export const MIN_BASELINE = 20;

const RATE_METRICS = ['sensitivity', 'specificity'] as const;
export type RateMetric = (typeof RATE_METRICS)[number];

/**
 * How often (years) the close test of an episode closes it falsely while the
 * rate stays halfway to the signalling chart's (at the chart's own rate, far
 * less often): an episode needs less evidence to close than to open, so that
 * a recovery shows within weeks.
 */
const CLOSE_YEARS = 1;

/** Runs of the delay simulation, and the most cases it may take in all. */
const DELAY_RUNS = 300;
const MAX_DELAY_STEPS = 3_000_000;
/** In-control run lengths (cases) above this are not simulated. */
const MAX_SIMULATED_ARL = 1e10;
/** Renewal cycles of the in-control run length's simulation: about 5 % standard error (2,000 gave about 10 %). */
const ARL_CYCLES = 5_000;

/** The falls for which the expected delay is stated. */
const STATED_FALLS = [0.05, 0.1, 0.2] as const;

/** The reference grows while in control: it doubles from `baselineWeeks` up to at most this many weeks. */
const MAX_REFERENCE_WEEKS = 52;

interface Chart {
  shift: number;
  p1: number;
  h: number;
  wFailure: number;
  wSuccess: number;
  /** The close test of an episode this chart opened: the rate back at p0 against still halfway to p1. */
  closeFailure: number;
  closeSuccess: number;
  closeH: number;
}

/** One reference of a metric: its first `weeks` of verdicted cases, and the CUSUMs tuned on them. */
export interface MetricReference {
  /** Cases from here on (ms) may be monitored with these charts: the end of the reference's weeks. */
  from: number;
  weeks: number;
  failures: number;
  n: number;
  perDay: number;
  /** The rate the charts are tuned from. */
  p0: number;
  /** The guarantee level of the charts' thresholds (see chartsOf), and the predictive probability of a false alarm of the charts together within a year at it. */
  guarantee: number;
  yearFalseAlarm: number;
  charts: Chart[];
}

/** What a reference's charts are stated to do, by simulation of the charts together. */
export interface StatedFigures {
  /** In-control run length (cases) at p0, and the expected delays (cases) for the stated falls. */
  arl0: number;
  delays: number[];
}

/**
 * A monitor's references: per metric, one for its first `baselineWeeks` weeks
 * of verdicted cases and one for each doubling of that span the data has
 * passed (up to MAX_REFERENCE_WEEKS), each with its own guaranteed thresholds.
 * The monitor moves to the next while in control (see `step`).
 */
export interface MonitorReference {
  /** Monday of the first week with verdicted cases. */
  firstWeek: string;
  /** Cases from here on are monitored (the weeks before are the first reference). */
  monitorFrom: number;
  /** Cases of each metric's truth (verdict-positive, verdict-negative) in the first reference. */
  referenceN: Record<RateMetric, number>;
  /** The references of each metric in order of growth (only those with at least MIN_BASELINE cases). */
  stages: Record<RateMetric, MetricReference[]>;
}

interface CusumState {
  /** The reference in use (an index into the metric's stages; -1 before the first). */
  stage: number;
  /** Each chart's statistic, and the time of the first case since it last stood at zero. */
  s: number[];
  start: number[];
  /** The close test of the open episode, and the uncapped evidence of the chart that opened it. */
  r: number;
  evidence: number;
  n: number;
  /** Episodes opened so far. */
  signals: number;
  max: number;
  episode: Episode | null;
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
  // Day 0 (1970-01-01) is a Thursday, so day d's Monday is (d + 3) mod 7 days back. Each
  // Monday's date is written once (the monitors ask it for every verdicted case).
  const days = Math.floor(ms / DAY_MS);
  const monday = days - ((((days + 3) % 7) + 7) % 7);
  let date = MONDAYS.get(monday);
  if (date === undefined) MONDAYS.set(monday, (date = new Date(monday * DAY_MS).toISOString().slice(0, 10)));
  return date;
}
const MONDAYS = new Map<number, string>();

/**
 * The references of a monitor from its weekly verdicted counts (in week order):
 * the first `baselineWeeks` calendar weeks from the first verdicted case, then
 * the first 2, 4, ... times as many once the data has passed their end, each
 * with its charts (chartsOf).
 */
export function referenceOf(weeks: VerdictedWeek[], settings: AnalyticsSettings): MonitorReference {
  const firstWeek = weeks[0]!.week;
  const monitorFrom = mondayMs(firstWeek) + settings.baselineWeeks * WEEK_MS;
  const lastWeek = mondayMs(weeks[weeks.length - 1]!.week);
  const stages: Record<RateMetric, MetricReference[]> = { sensitivity: [], specificity: [] };
  const referenceN = { sensitivity: 0, specificity: 0 };
  for (let span = settings.baselineWeeks; span <= MAX_REFERENCE_WEEKS; span *= 2) {
    const from = mondayMs(firstWeek) + span * WEEK_MS;
    // A longer reference only once the data has passed its end (its weeks are complete).
    if (span > settings.baselineWeeks && lastWeek < from) break;
    const inReference = weeks.filter((w) => mondayMs(w.week) < from);
    const sum = (f: (w: VerdictedWeek) => number) => inReference.reduce((s, w) => s + Number(f(w)), 0);
    const counts: Record<RateMetric, [number, number]> = {
      sensitivity: [sum((w) => w.fn), sum((w) => w.tp + w.fn)],
      specificity: [sum((w) => w.fp), sum((w) => w.tn + w.fp)],
    };
    for (const metric of RATE_METRICS) {
      const [failures, n] = counts[metric];
      if (span === settings.baselineWeeks) referenceN[metric] = n;
      if (n >= MIN_BASELINE) stages[metric].push({ from, weeks: span, ...chartsOf(failures, n, n / (span * 7), settings) });
    }
  }
  return { firstWeek, monitorFrom, referenceN, stages };
}

/** The guarantee levels a reference's thresholds may take (those from `settings.guarantee` up). */
const LEVELS = [...Array.from({ length: 25 }, (_, i) => Math.round((0.5 + i * 0.02) * 100) / 100), 0.99, 0.995];
/** Quantiles of the posterior of the reference rate that the predictive false-alarm probability averages over. */
const POSTERIOR_DRAWS = 200;

/**
 * The charts of one metric from its reference count of failures among n cases,
 * seen at `perDay` cases a day. One Bernoulli CUSUM per fall in `shifts`, each
 * tuned from the observed failure rate (misses among verdict-positive cases,
 * false positives among verdict-negative ones), with a threshold that accounts
 * for its estimation (guaranteedThresholds, Gandy & Kvaløy): at guarantee
 * level g, the in-control run length given the reference is at least the
 * target (`targetFalseAlarmYears` for the sensitivity and specificity monitors
 * together, so each metric's charts 2 × that, each chart that over its share
 * of the metric's false-alarm rate, `shiftShares`) with probability g. The target stands for a share of stable
 * years with a false alarm (1 - e^-(year / target)); a fixed g on top of it
 * would ask for that share twice — once in the target, and again at g of the
 * references — which at 8 or more weeks of reference leaves half the share
 * unused (bench/README.md, drift). So g is the lowest level (from
 * `settings.guarantee` up) at which the predictive probability of a false alarm
 * of the metric's charts within a year — averaged over the posterior of the
 * reference rate (uniform prior) — is at most that share: the stable-year target
 * itself, for the reference at hand (Bayesian predictive calibration of the
 * guarantee level). Small references, whose posterior is wide, get a higher
 * level than 0.9; long ones a lower. The charts share the false alarms: in the
 * parametric bootstrap every chart's error is a function of the one drawn rate,
 * monotone the same way, so the per-chart quantiles hold together.
 */
export function chartsOf(failures: number, n: number, perDay: number, settings: AnalyticsSettings): Omit<MetricReference, 'from' | 'weeks'> {
  return kept(chartsMade, chartsKey(failures, n, perDay, settings), () => makeCharts(failures, n, perDay, settings));
}

/**
 * The version of how charts and their stated figures are made (makeCharts, simulatedFigures):
 * raised with any change to them, so that the charts a store keeps (drift_charts) from an
 * earlier version are not read as this one's.
 */
const CHARTS_METHOD = 1;

/** What a reference's charts are a function of: its counts, its volume, every setting makeCharts reads, and the method's version. */
export const chartsKey = (failures: number, n: number, perDay: number, settings: AnalyticsSettings) =>
  JSON.stringify([CHARTS_METHOD, failures, n, perDay, settings.targetFalseAlarmYears, settings.guarantee, settings.shifts, settings.shiftShares]);

/** What a reference's stated figures are a function of: its charts (and the rate and counts they were tuned from). */
const figuresKey = ({ failures, n, p0, charts }: Omit<MetricReference, 'from' | 'weeks'>) => JSON.stringify([failures, n, p0, charts]);

/**
 * Charts and stated figures made in another process (read from the store's
 * drift_charts), kept as if made here: chartsOf and statedFigures then return
 * them. The charts must be those of `key` (chartsKey), the figures those of the
 * charts; the caller checks the key it read them under.
 */
export function keepCharts(key: string, charts: Omit<MetricReference, 'from' | 'weeks'>, figures: StatedFigures | null): void {
  kept(chartsMade, key, () => charts);
  if (figures) kept(stated, figuresKey(charts), () => figures);
}

/** The stated figures of a reference's charts if they were made (or kept) in this process, without simulating them. */
export const knownFigures = (ref: Omit<MetricReference, 'from' | 'weeks'>): StatedFigures | null => stated.get(figuresKey(ref)) ?? null;

/** Forget every chart and stated figure made or kept in this process (as a new process would start). */
export function forgetCharts(): void {
  chartsMade.clear();
  stated.clear();
}

/** The charts of the references met so far in this process (a function of the reference's counts and the settings alone): a run after the first reuses them. */
const chartsMade = new Map<string, Omit<MetricReference, 'from' | 'weeks'>>();

/** What `make` gives for a key, made once per key in this process (at most KEPT keys kept). */
export function kept<T>(made: Map<string, T>, key: string, make: () => T): T {
  const known = made.get(key);
  if (known !== undefined) return known;
  const value = make();
  if (made.size >= KEPT) made.clear();
  made.set(key, value);
  return value;
}

/** The share of a metric's false-alarm rate each chart's threshold is set to before the guarantee (settings.shiftShares), checked. */
function chartShares(settings: AnalyticsSettings): number[] {
  const shares = settings.shiftShares;
  const total = shares.reduce((sum, x) => sum + x, 0);
  if (shares.length !== settings.shifts.length || shares.some((x) => !(x > 0)) || Math.abs(total - 1) > 1e-9)
    throw new Error(`analytics settings: shiftShares must give one positive share per shift (${settings.shifts.length}: ${settings.shifts.join(', ')}) summing to 1, got [${shares.join(', ')}]`);
  return shares;
}

function makeCharts(failures: number, n: number, perDay: number, settings: AnalyticsSettings): Omit<MetricReference, 'from' | 'weeks'> {
  const perYear = perDay * 365;
  const target = Math.max(50, perYear * monitorYears(settings));
  const share = 1 - Math.exp(-perYear / target);
  const levels = LEVELS.filter((g) => g >= settings.guarantee);
  if (levels.length === 0) levels.push(settings.guarantee);
  const p0 = chartRate(failures, n);
  const shares = chartShares(settings);
  const families = settings.shifts.map((shift, k) => guaranteedThresholds(failures, n, shift, target / shares[k]!));
  const steps = settings.shifts.map((shift) => cusumWeights(p0, shiftedRate(p0, shift)));
  const posterior = posteriorRates(failures, n, POSTERIOR_DRAWS);
  const roots = steps.map((w) => posterior.map((p) => runLengthRoot(w, p)));
  // The predictive probability of a false alarm of the charts together within a year (their rates add) at a level.
  const falseAlarm = (level: number) =>
    posterior.reduce((sum, p, j) => sum + 1 - Math.exp(-perYear * steps.reduce((rate, w, k) => rate + 1 / runLength(families[k]!(levels[level]!).h, w, p, roots[k]![j]), 0)), 0) / posterior.length;
  // The thresholds grow with the level: the lowest level within the share, by bisection (the highest if none is).
  let low = 0;
  let high = levels.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (falseAlarm(mid) <= share) high = mid;
    else low = mid + 1;
  }
  const charts = settings.shifts.map((shift, k): Chart => {
    const g = families[k]!(levels[low]!);
    const w = steps[k]!;
    const halfway = (g.p0 + g.p1) / 2;
    const close = cusumWeights(halfway, g.p0);
    return { shift, p1: g.p1, h: g.h, wFailure: w.failure, wSuccess: w.success, closeFailure: close.failure, closeSuccess: close.success, closeH: thresholdFor(close, halfway, Math.max(50, perDay * 365 * CLOSE_YEARS)) };
  });
  return { failures, n, perDay, p0, guarantee: levels[low]!, yearFalseAlarm: falseAlarm(low), charts };
}

/** The stated figures of the charts simulated so far in this process (they are a function of the charts alone). */
const stated = new Map<string, StatedFigures>();
const KEPT = 20_000;

/** The in-control run length and expected delays of a reference's charts together. */
export function statedFigures(ref: Omit<MetricReference, 'from' | 'weeks'>): StatedFigures {
  return kept(stated, figuresKey(ref), () => simulatedFigures(ref));
}

/** The stated figures by simulation of the charts together (seeded by the reference: the same on every run). */
function simulatedFigures({ failures, n, p0, charts }: Omit<MetricReference, 'from' | 'weeks'>): StatedFigures {
  const sim = charts.map((c) => ({ failure: c.wFailure, success: c.wSuccess, h: c.h }));
  const seed = failures * 1_000_003 + n;
  // A run length beyond any horizon (a small reference's thresholds are high) is Siegmund's approximation, not simulated.
  const approximateArl = 1 / sim.reduce((sum, c) => sum + 1 / runLength(c.h, c, p0), 0);
  const arl0 = approximateArl > MAX_SIMULATED_ARL ? approximateArl : simulatedRunLength(sim, p0, charts.map((c) => c.p1), seed, ARL_CYCLES);
  // A delay too long to simulate quickly (a small reference's thresholds are high) is Siegmund's approximation for the fastest chart.
  const delays = STATED_FALLS.map((fall, i) => {
    const p = shiftedRate(p0, fall);
    const approximate = Math.min(...sim.map((c) => runLength(c.h, c, p)));
    return approximate * DELAY_RUNS > MAX_DELAY_STEPS ? approximate : simulatedDelay(sim, p, seed + i + 1, DELAY_RUNS);
  });
  return { arl0, delays };
}

/** The in-control run length (years) each of the two monitors of a hospital x product x model version is set to. */
export const monitorYears = (settings: AnalyticsSettings) => settings.targetFalseAlarmYears * RATE_METRICS.length;

export const fingerprint = (reference: MonitorReference) => JSON.stringify(reference);

function emptyCusum(stages: MetricReference[]): CusumState {
  const k = stages[0]?.charts.length ?? 0;
  return { stage: -1, s: new Array<number>(k).fill(0), start: new Array<number>(k).fill(0), r: 0, evidence: 0, n: 0, signals: 0, max: 0, episode: null };
}

export function freshState(reference: MonitorReference): MonitorState {
  return { reference: fingerprint(reference), lastAt: null, metrics: { sensitivity: emptyCusum(reference.stages.sensitivity), specificity: emptyCusum(reference.stages.specificity) } };
}

/**
 * Cautious learning (after Capizzi & Masarotto 2020, "Guaranteed in-control
 * control chart performance with cautious parameter learning", J. Qual.
 * Technol. 52): a metric moves to its next, longer reference (the weeks it has
 * monitored added, its thresholds bootstrapped anew on them, so that each
 * reference keeps the guarantee given itself) only while there is no sign of a
 * change: it has never signalled, and every chart stands below half its
 * threshold (status `ok`). Until then it waits, and once it has signalled it
 * keeps the reference it has.
 */
function learning(m: CusumState, ref: MetricReference): boolean {
  return m.signals === 0 && ref.charts.every((c, k) => m.s[k]! < c.h / 2);
}

/**
 * One case through the monitor. Each chart is a one-sided Bernoulli CUSUM,
 * tuned on the metric's reference in use (see `learning`); a chart's statistic
 * carries over to the next reference.
 * Out of an episode, the first chart to reach its threshold opens one (its
 * first signal; its onset is where that chart last stood at zero). In an
 * episode the charts are held at their thresholds, so that a fall that goes on
 * keeps signalling, and each signal restarts the close test: a CUSUM of the
 * rate back at the reference against still halfway to the signalling chart's
 * rate, with a threshold that a fall of that size crosses once in CLOSE_YEARS. When it crosses, the episode closes and the charts start from
 * zero. Closed episodes are added to `closed`.
 */
export function step(state: MonitorState, reference: MonitorReference, at: number, ai: number, truth: number, closed?: Episode[]): void {
  state.lastAt = at;
  const metric: RateMetric = truth === 1 ? 'sensitivity' : 'specificity';
  const stages = reference.stages[metric];
  const m = state.metrics[metric];
  if (m.stage + 1 < stages.length && stages[m.stage + 1]!.from <= at && (m.stage < 0 || learning(m, stages[m.stage]!))) {
    while (m.stage + 1 < stages.length && stages[m.stage + 1]!.from <= at) m.stage++;
    stages[m.stage]!.charts.forEach((c, k) => (m.s[k] = Math.min(m.s[k]!, c.h)));
  }
  if (m.stage < 0) return;
  const ref = stages[m.stage]!;
  const failure = truth === 1 ? ai === 0 : ai === 1;
  m.n++;
  let signalled = -1;
  let ratio = 0;
  ref.charts.forEach((c, k) => {
    const before = m.s[k]!;
    const s = Math.max(0, before + (failure ? c.wFailure : c.wSuccess));
    if (before === 0 && s > 0) m.start[k] = at;
    ratio = Math.max(ratio, s / c.h);
    if (s >= c.h && signalled < 0) signalled = k;
    m.s[k] = m.episode ? Math.min(s, c.h) : s;
  });
  m.max = Math.max(m.max, ratio);
  const episode = m.episode;
  if (episode) {
    const opener = ref.charts.find((c) => c.shift === episode.shift)!;
    episode.cases++;
    if (failure) episode.failures++;
    m.evidence = Math.max(0, m.evidence + (failure ? opener.wFailure : opener.wSuccess));
    episode.peak = Math.max(episode.peak, m.evidence / opener.h);
    m.r = signalled >= 0 ? 0 : Math.max(0, m.r + (failure ? opener.closeFailure : opener.closeSuccess));
    if (m.r >= opener.closeH) {
      episode.closed = at;
      closed?.push(episode);
      m.episode = null;
      m.s.fill(0);
      m.r = 0;
      m.evidence = 0;
    }
  } else if (signalled >= 0) {
    const c = ref.charts[signalled]!;
    m.signals++;
    m.evidence = m.s[signalled]!;
    m.episode = { onset: m.start[signalled]!, firstSignal: at, closed: null, shift: c.shift, peak: m.evidence / c.h, cases: 1, failures: failure ? 1 : 0 };
    m.r = 0;
    ref.charts.forEach((chart, k) => (m.s[k] = Math.min(m.s[k]!, chart.h)));
  }
}

/** The reference a metric's charts use in this state (before its first: the first, if it has one). */
export function activeReference(reference: MonitorReference, state: MonitorState, metric: RateMetric): MetricReference | null {
  const stages = reference.stages[metric];
  return stages[Math.max(0, state.metrics[metric].stage)] ?? null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The sensitivity and specificity rows of a monitor in its current state. */
export function monitorRows(head: { hospital: string; product: string; model_version: string }, reference: MonitorReference, state: MonitorState, settings: AnalyticsSettings): DriftRow[] {
  return RATE_METRICS.map((metric) => {
    const m = state.metrics[metric];
    const ref = activeReference(reference, state, metric);
    const base = { ...head, metric, ...NO_CHART };
    if (!ref) {
      const none = { baseline: 1, baseline_low: 0, baseline_high: 1, chart_baseline: 1, statistic: 0, threshold: 0, since: null, expected_delay_days: 0, min_detectable: 1, peak: 0 };
      return { ...base, ...none, baseline_n: reference.referenceN[metric], n: 0, status: 'insufficient-data' };
    }
    const figures = statedFigures(ref);
    const ratio = Math.max(0, ...ref.charts.map((c, k) => m.s[k]! / c.h));
    const [low, high] = wilson(ref.n - ref.failures, ref.n);
    const days = (cases: number) => cases / ref.perDay;
    return {
      ...base,
      baseline: 1 - ref.failures / ref.n,
      baseline_low: low,
      baseline_high: high,
      chart_baseline: 1 - ref.p0,
      baseline_n: ref.n,
      n: m.n,
      // The charts' statistics in units of their thresholds: the highest.
      statistic: ratio,
      threshold: 1,
      status: m.episode ? 'alarm' : ratio >= 0.5 ? 'watch' : 'ok',
      since: iso(m.episode?.firstSignal ?? null),
      onset: iso(m.episode?.onset ?? null),
      target_arl_days: monitorYears(settings) * 365,
      arl_days: days(figures.arl0),
      delay_005_days: days(figures.delays[0]!),
      expected_delay_days: days(figures.delays[1]!),
      delay_020_days: days(figures.delays[2]!),
      // The smallest fall a one-sided test (alpha 0.05, power 0.8) sees in the cases monitored so far.
      min_detectable: m.n ? Math.min(1, 2.486 * Math.sqrt((ref.p0 * (1 - ref.p0)) / m.n)) : 1,
      peak: m.max,
    };
  });
}

/** The episodes of a monitor as rows: those that closed in this run, and the one still open. */
export function episodeRows(head: { hospital: string; product: string; model_version: string }, state: MonitorState, closed: Record<RateMetric, Episode[]>): EpisodeRow[] {
  return RATE_METRICS.flatMap((metric) => {
    const open = state.metrics[metric].episode;
    return [...closed[metric], ...(open ? [open] : [])].map((e) => ({
      ...head,
      metric,
      onset: iso(e.onset)!,
      first_signal: iso(e.firstSignal)!,
      closed: iso(e.closed),
      shift: e.shift,
      peak: e.peak,
      cases: e.cases,
      failures: e.failures,
    }));
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
export function monitorCases(cases: DriftCase[], settings: AnalyticsSettings): { rows: DriftRow[]; episodes: EpisodeRow[]; references: MonitorReference[]; states: MonitorState[] } {
  const groups = new Map<string, DriftCase[]>();
  for (const c of cases) {
    const key = `${c.hospital}|${c.product}|${c.model_version}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
  }
  const rows: DriftRow[] = [];
  const episodes: EpisodeRow[] = [];
  const references: MonitorReference[] = [];
  const states: MonitorState[] = [];
  for (const group of groups.values()) {
    const reference = referenceOf(verdictedWeeks(group), settings);
    const state = freshState(reference);
    const closed: Record<RateMetric, Episode[]> = { sensitivity: [], specificity: [] };
    for (const c of group) step(state, reference, c.at, c.ai, c.truth, closed[c.truth === 1 ? 'sensitivity' : 'specificity']);
    const head = { hospital: group[0]!.hospital, product: group[0]!.product, model_version: group[0]!.model_version };
    rows.push(...monitorRows(head, reference, state, settings));
    episodes.push(...episodeRows(head, state, closed));
    references.push(reference);
    states.push(state);
  }
  return { rows, episodes, references, states };
}

export const driftOfCases = (cases: DriftCase[], settings: AnalyticsSettings): DriftRow[] => monitorCases(cases, settings).rows;
