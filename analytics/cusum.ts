import { betaQuantile, binomialQuantiles, normalQuantile } from './distributions.ts';
import { wilson } from './wilson.ts';

/**
 * One-sided Bernoulli CUSUM for a rise in the rate of failures (misses among
 * verdict-positive cases, or false positives among verdict-negative ones) from
 * p0 to p1. Each case adds its log-likelihood ratio; the statistic never drops
 * below zero; an alarm is raised when it reaches the threshold h.
 */
export function cusumWeights(p0: number, p1: number): { failure: number; success: number } {
  return { failure: Math.log(p1 / p0), success: Math.log((1 - p1) / (1 - p0)) };
}

/**
 * Average run lengths in closed form (Wald's approximation for a CUSUM of
 * log-likelihood ratios, with the overshoot over h taken as half a failure's
 * step, the larger step for a chart that falls back to p0): in control ARL0 = (e^h' - h' - 1) / KL(p0 || p1), after the shift
 * ARL1 = (e^-h' + h' - 1) / KL(p1 || p0), h' = h + ln(p1 / p0) / 2. Within about
 * 15 % of simulation over the range used here (see the tests).
 */
export function approximateRunLengths(h: number, p0: number, p1: number): { arl0: number; arl1: number } {
  const w = cusumWeights(p0, p1);
  const kl0 = -(p0 * w.failure + (1 - p0) * w.success);
  const kl1 = p1 * w.failure + (1 - p1) * w.success;
  const hh = h + Math.max(w.failure, w.success) / 2;
  return { arl0: (Math.exp(hh) - hh - 1) / kl0, arl1: (Math.exp(-hh) + hh - 1) / kl1 };
}

/** The threshold whose in-control average run length is `targetArl` cases, and the expected detection delay (cases) after the shift to p1. */
export function calibrate(p0: number, p1: number, targetArl: number): { h: number; arl0: number; arl1: number } {
  let low = 0;
  let high = 50;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (approximateRunLengths(mid, p0, p1).arl0 < targetArl) low = mid;
    else high = mid;
  }
  const h = (low + high) / 2;
  return { h, ...approximateRunLengths(h, p0, p1) };
}

/**
 * Runs the CUSUM over a sequence of outcomes (true = failure), restarting from
 * zero after each signal (the usual practice: each signal is news). Returns the
 * statistic at the end, the times of the signals, and the highest value reached.
 */
export function runCusum(outcomes: { at: number; failure: boolean }[], p0: number, p1: number, h: number): { statistic: number; signals: number[]; max: number } {
  const w = cusumWeights(p0, p1);
  let s = 0;
  let max = 0;
  const signals: number[] = [];
  for (const o of outcomes) {
    s = Math.max(0, s + (o.failure ? w.failure : w.success));
    max = Math.max(max, s);
    if (s >= h) {
      signals.push(o.at);
      s = 0;
    }
  }
  return { statistic: s, signals, max };
}

export interface Steps {
  failure: number;
  success: number;
}

/**
 * The nonzero root θ of p e^(-θ·failure) + (1 - p) e^(-θ·success) = 1 for a
 * chart's steps when failures occur at rate p (0 when the mean step is 0): -1
 * at the rate the chart is tuned from, +1 at the rate it is tuned to.
 */
export function runLengthRoot(w: Steps, p: number): number {
  const mean = p * w.failure + (1 - p) * w.success;
  if (Math.abs(mean) < 1e-12) return 0;
  const f = (t: number) => p * Math.exp(-t * w.failure) + (1 - p) * Math.exp(-t * w.success) - 1;
  const sign = mean < 0 ? -1 : 1;
  let far = sign;
  while (f(far) < 0 && Math.abs(far) < 1e6) far *= 2;
  let near = 0;
  let outer = far;
  for (let i = 0; i < 80; i++) {
    const mid = (near + outer) / 2;
    if (f(mid) < 0) near = mid;
    else outer = mid;
  }
  return (near + outer) / 2;
}

/**
 * The average run length (cases) of a CUSUM with steps `w` and threshold h when
 * failures occur at rate p: Siegmund's approximation (e^(-θh') + θh' - 1) / (θμ),
 * μ the mean step, θ its root above, h' = h plus half the larger step (the
 * overshoot). At the chart's own rates it is the closed form above.
 */
export function runLength(h: number, w: Steps, p: number, theta = runLengthRoot(w, p)): number {
  const mean = p * w.failure + (1 - p) * w.success;
  const hh = h + Math.max(w.failure, w.success) / 2;
  if (theta === 0) return (hh * hh) / (p * w.failure ** 2 + (1 - p) * w.success ** 2 - mean * mean);
  return (Math.exp(-theta * hh) + theta * hh - 1) / (theta * mean);
}

/** The threshold at which a chart with steps `w` runs `target` cases on average when failures occur at rate p. */
export function thresholdFor(w: Steps, p: number, target: number): number {
  const theta = runLengthRoot(w, p);
  let low = 0;
  let high = 1;
  while (runLength(high, w, p, theta) < target && high < 1e4) high *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (runLength(mid, w, p, theta) < target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** The failure rate a chart is tuned from, for an observed count: never 0 (half a failure), never above 0.9. */
export const chartRate = (failures: number, n: number) => Math.min(0.9, Math.max(failures, 0.5) / n);

/** The rate a chart tuned to a rise of `shift` watches for. */
export const shiftedRate = (p0: number, shift: number) => Math.min(0.99, p0 + shift);

export interface GuaranteedThreshold {
  /** The estimated in-control failure rate, and the rate the chart is tuned to. */
  p0: number;
  p1: number;
  /** The threshold with the guarantee, and the plug-in threshold (as if the estimate were the truth). */
  h: number;
  plugIn: number;
}

/**
 * A CUSUM threshold that accounts for the estimation of the in-control rate
 * (Gandy & Kvaløy 2013, "Guaranteed conditional performance of control charts
 * via bootstrap methods", Scand. J. Statist. 40): the chart is tuned from the
 * estimate p̂ = failures / n, and its threshold is chosen so that its in-control
 * average run length given the estimate is at least `target` cases with
 * probability `confidence`. Parametric bootstrap of the reference sample:
 * for draws x* ~ Binomial(n, p̂) (taken at `draws` evenly spaced quantiles, so
 * the result is the same on every run), p̂* = x* / n; the threshold a chart
 * tuned from p̂* needs at the "true" rate p̂, less what it needs at its own rate,
 * is the error of the plug-in threshold in the bootstrap world; the threshold is
 * the plug-in one plus the `confidence` quantile of that error.
 */
export function guaranteedThreshold(failures: number, n: number, shift: number, target: number, confidence: number, draws = 200): GuaranteedThreshold {
  return guaranteedThresholds(failures, n, shift, target, draws)(confidence);
}

/** The guaranteed thresholds of one chart at any guarantee level, the bootstrap drawn once: each level's threshold made when first asked for, then kept. */
export function guaranteedThresholds(failures: number, n: number, shift: number, target: number, draws = 200): (confidence: number) => GuaranteedThreshold {
  const p0 = chartRate(failures, n);
  const p1 = shiftedRate(p0, shift);
  const own = cusumWeights(p0, p1);
  const plugIn = thresholdFor(own, p0, target);
  const errors: number[] = [];
  const errorOf = new Map<number, number>();
  const drawn = binomialQuantiles(Array.from({ length: draws }, (_, b) => (b + 0.5) / draws), n, p0);
  for (const x of drawn) {
    if (!errorOf.has(x)) {
      const q0 = chartRate(x, n);
      const w = cusumWeights(q0, shiftedRate(q0, shift));
      errorOf.set(x, thresholdFor(w, p0, target) - thresholdFor(w, q0, target));
    }
    errors.push(errorOf.get(x)!);
  }
  errors.sort((a, b) => a - b);
  const made = new Map<number, GuaranteedThreshold>();
  return (confidence) => {
    const kept = made.get(confidence);
    if (kept) return kept;
    const error = errors[Math.min(draws - 1, Math.max(0, Math.ceil(confidence * draws) - 1))]!;
    // A small reference with few or no failures makes the bootstrap draw no
    // failure either, and its correction vanishes just where the estimate is least
    // sure. The threshold is then at least the one the same chart needs at the
    // rate's upper confidence bound (one-sided, at the same confidence): the
    // threshold needed grows with the true rate, so the guarantee holds there too.
    const upper = wilson(failures, n, normalQuantile(confidence))[1];
    const bounded = upper > p0 ? thresholdFor(own, upper, target) : plugIn;
    const threshold = { p0, p1, h: Math.max(plugIn + Math.max(0, error), bounded), plugIn };
    made.set(confidence, threshold);
    return threshold;
  };
}

/**
 * A failure rate's posterior given `failures` among n cases, under a uniform
 * prior (Bayes-Laplace): Beta(failures + 1, n - failures + 1), at `count`
 * evenly spaced quantiles.
 */
export function posteriorRates(failures: number, n: number, count = 200): number[] {
  return Array.from({ length: count }, (_, b) => betaQuantile((b + 0.5) / count, failures + 1, n - failures + 1));
}

/** A chart as the simulations below run it: its steps and its threshold. */
export interface SimChart {
  failure: number;
  success: number;
  h: number;
}

/**
 * The simulations below draw from xorshift32 (seeded: the same figures on every
 * run), written out in their loops as `x ^= x << 13; x ^= x >>> 17; x ^= x << 5`
 * and `(x >>> 0) / TWO_32`, and step the charts from typed arrays: they run
 * millions of cases for each reference, and a closure per draw and an object
 * per case cost several times the arithmetic. Two charts (one per shift, as the
 * default settings have) are stepped as numbers held in locals instead: the
 * same arithmetic in the same order, so the same figures, in
 * about 0.6 of the time of the arrays (bench/README.md, drift).
 */
const seeded = (seed: number) => seed >>> 0 || 0x9e3779b9;
const TWO_32 = 2 ** 32;

/** The charts' steps and thresholds as arrays, and, for two charts (`two`), as the numbers the loops hold in locals. */
function chartArrays(charts: SimChart[]) {
  const [a, b] = charts.length === 2 ? charts : [];
  return {
    up: Float64Array.from(charts, (c) => c.failure),
    down: Float64Array.from(charts, (c) => c.success),
    h: Float64Array.from(charts, (c) => c.h),
    two: a !== undefined,
    up0: a?.failure ?? 0,
    up1: b?.failure ?? 0,
    down0: a?.success ?? 0,
    down1: b?.success ?? 0,
    h0: a?.h ?? 0,
    h1: b?.h ?? 0,
  };
}

const GOING = 0;
const BACK_AT_ZERO = 1;
const SIGNALLED = 2;

/** One case on every chart (`add` the step each takes): SIGNALLED if any reaches its limit, else BACK_AT_ZERO if all are at zero, else GOING. */
function step(s: Float64Array, add: Float64Array, h: Float64Array): number {
  let signal = false;
  let zero = true;
  for (let i = 0; i < s.length; i++) {
    const v = s[i]! + add[i]!;
    s[i] = v > 0 ? v : 0;
    if (v >= h[i]!) signal = true;
    if (v > 0) zero = false;
  }
  return signal ? SIGNALLED : zero ? BACK_AT_ZERO : GOING;
}

/**
 * The average run length (cases until the first of the charts signals, all
 * starting at zero) when failures occur at rate p, by simulation that stays
 * quick however long the run length: by renewal, ARL = E[min(C, T)] / P(T < C),
 * C the cases until every chart is back at zero together, T until a signal.
 * E[min(C, T)] is simulated directly (cycles are short in control); the rare
 * P(T < C) by importance sampling, drawing the failures at each chart's tuned-to
 * rate in turn (a defensive mixture) and weighting each cycle by its likelihood
 * ratio. Charts that share one sequence of cases signal together more often than
 * independent ones would, which the sum of their rates does not see.
 */
export function simulatedRunLength(charts: SimChart[], p: number, tilts: number[], seed: number, cycles = 2000): number {
  let x = seeded(seed);
  const { up, down, h, two, up0, up1, down0, down1, h0, h1 } = chartArrays(charts);
  const s = new Float64Array(charts.length);
  let length = 0;
  for (let n = 0; n < cycles * 4; n++) {
    s.fill(0);
    let s0 = 0;
    let s1 = 0;
    for (;;) {
      length++;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const failure = (x >>> 0) / TWO_32 < p;
      if (two) {
        const v0 = s0 + (failure ? up0 : down0);
        const v1 = s1 + (failure ? up1 : down1);
        if (v0 >= h0 || v1 >= h1 || (!(v0 > 0) && !(v1 > 0))) break;
        s0 = v0 > 0 ? v0 : 0;
        s1 = v1 > 0 ? v1 : 0;
      } else if (step(s, failure ? up : down, h) !== GOING) break;
    }
  }
  const meanCycle = length / (cycles * 4);
  const logFailure = Math.log(p);
  const logSuccess = Math.log(1 - p);
  const m = tilts.length;
  const tiltFailure = Float64Array.from(tilts, (t) => Math.log(t));
  const tiltSuccess = Float64Array.from(tilts, (t) => Math.log(1 - t));
  const under = new Float64Array(m);
  let weight = 0;
  for (let n = 0; n < cycles; n++) {
    const tilt = tilts[n % m]!;
    s.fill(0);
    under.fill(0);
    let s0 = 0;
    let s1 = 0;
    let own = 0;
    for (let t = 0; t < 1e7; t++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const failure = (x >>> 0) / TWO_32 < tilt;
      own += failure ? logFailure : logSuccess;
      for (let j = 0; j < m; j++) under[j]! += failure ? tiltFailure[j]! : tiltSuccess[j]!;
      let state: number;
      if (two) {
        const v0 = s0 + (failure ? up0 : down0);
        const v1 = s1 + (failure ? up1 : down1);
        s0 = v0 > 0 ? v0 : 0;
        s1 = v1 > 0 ? v1 : 0;
        state = v0 >= h0 || v1 >= h1 ? SIGNALLED : !(v0 > 0) && !(v1 > 0) ? BACK_AT_ZERO : GOING;
      } else state = step(s, failure ? up : down, h);
      if (state === BACK_AT_ZERO) break;
      if (state === SIGNALLED) {
        // The likelihood ratio of the path against the mixture of the tilts.
        let top = -Infinity;
        for (let j = 0; j < m; j++) if (under[j]! > top) top = under[j]!;
        let sum = 0;
        for (let j = 0; j < m; j++) sum += Math.exp(under[j]! - top);
        weight += Math.exp(own - (top + Math.log(sum / m)));
        break;
      }
    }
  }
  const q = weight / cycles;
  return q > 0 ? meanCycle / q : Infinity;
}

/** The mean cases to the first signal of any chart (all starting at zero) when failures occur at rate p, by direct simulation. */
export function simulatedDelay(charts: SimChart[], p: number, seed: number, runs = 1000): number {
  let x = seeded(seed);
  const { up, down, h, two, up0, up1, down0, down1, h0, h1 } = chartArrays(charts);
  let total = 0;
  const s = new Float64Array(charts.length);
  for (let r = 0; r < runs; r++) {
    s.fill(0);
    let s0 = 0;
    let s1 = 0;
    for (let t = 1; t < 1e7; t++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const failure = (x >>> 0) / TWO_32 < p;
      let signalled: boolean;
      if (two) {
        const v0 = s0 + (failure ? up0 : down0);
        const v1 = s1 + (failure ? up1 : down1);
        s0 = v0 > 0 ? v0 : 0;
        s1 = v1 > 0 ? v1 : 0;
        signalled = v0 >= h0 || v1 >= h1;
      } else signalled = step(s, failure ? up : down, h) === SIGNALLED;
      if (signalled) {
        total += t;
        break;
      }
    }
  }
  return total / runs;
}
