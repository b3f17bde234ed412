import { normalQuantile } from './distributions.ts';

/**
 * A sample of whole numbers (minutes) as a histogram: each distinct value with
 * its count, ascending. The estimator below works on it in time proportional to
 * the number of distinct values, never to the number of cases, so a cell of a
 * national year costs what a cell of a week costs.
 */
export type Histogram = readonly (readonly [value: number, count: number])[];

export interface ShiftEstimate {
  n_a: number;
  n_b: number;
  median_a: number | null;
  median_b: number | null;
  /** median(a) - median(b). */
  median_difference: number | null;
  /** The Hodges-Lehmann estimate of the shift a - b: the median of every pairwise difference. */
  difference: number | null;
  /** Its confidence interval from the Mann-Whitney statistic (normal approximation with the correction for ties), inclusive. */
  ci_low: number | null;
  ci_high: number | null;
}

/** Adds up histograms (the urgencies of a group into the group): exact, like adding the counts. */
export function mergeHistograms(...histograms: Histogram[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const h of histograms) for (const [v, c] of h) counts.set(v, (counts.get(v) ?? 0) + c);
  return [...counts].filter(([, c]) => c > 0).sort((x, y) => x[0] - y[0]);
}

/** The histogram of whole-number values (for tests and small samples). */
export function histogramOf(values: readonly number[]): [number, number][] {
  return mergeHistograms(values.map((v) => [v, 1] as const));
}

const total = (h: Histogram) => h.reduce((s, [, c]) => s + c, 0);

/** The k-th smallest value (1-based) of a histogram. */
function kth(h: Histogram, k: number): number {
  let seen = 0;
  for (const [v, c] of h) {
    seen += c;
    if (seen >= k) return v;
  }
  return h[h.length - 1]![0];
}

/** The sample median (the mean of the two middle values for an even count). */
export function histogramMedian(h: Histogram): number | null {
  const n = total(h);
  if (n === 0) return null;
  return n % 2 === 1 ? kth(h, (n + 1) / 2) : (kth(h, n / 2) + kth(h, n / 2 + 1)) / 2;
}

/** How many pairs (a, b) have a - b <= d: one pass over both histograms. */
function pairsAtMost(a: Histogram, b: Histogram, d: number): number {
  // For each a (ascending), the b's with b >= a - d; that threshold rises with a, so the b's above it only shrink.
  let bAbove = total(b);
  let j = 0;
  let pairs = 0;
  for (const [av, ac] of a) {
    while (j < b.length && b[j]![0] < av - d) {
      bAbove -= b[j]![1];
      j++;
    }
    pairs += ac * bAbove;
  }
  return pairs;
}

/** The k-th smallest (1-based) of the n_a x n_b pairwise differences a - b: a bisection over whole numbers. */
function kthDifference(a: Histogram, b: Histogram, k: number): number {
  let low = a[0]![0] - b[b.length - 1]![0];
  let high = a[a.length - 1]![0] - b[0]![0];
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (pairsAtMost(a, b, mid) >= k) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The shift between two samples of whole numbers: the Hodges-Lehmann estimate
 * of a - b and its (1 - alpha) interval, the k-th smallest and k-th largest
 * pairwise differences with k from the Mann-Whitney U's normal approximation
 * (its variance corrected for ties, which whole minutes have). Under a shift
 * model the interval covers the true shift with the stated probability, at
 * least, the values being whole numbers. Nulls where a sample is empty; no
 * interval where the samples are too small for one.
 */
export function hodgesLehmann(a: Histogram, b: Histogram, alpha = 0.05): ShiftEstimate {
  const na = total(a);
  const nb = total(b);
  const median_a = histogramMedian(a);
  const median_b = histogramMedian(b);
  const base = { n_a: na, n_b: nb, median_a, median_b, median_difference: median_a === null || median_b === null ? null : median_a - median_b };
  if (na === 0 || nb === 0) return { ...base, difference: null, ci_low: null, ci_high: null };
  const pairs = na * nb;
  const difference = pairs % 2 === 1 ? kthDifference(a, b, (pairs + 1) / 2) : (kthDifference(a, b, pairs / 2) + kthDifference(a, b, pairs / 2 + 1)) / 2;
  const n = na + nb;
  let ties = 0;
  for (const [, t] of mergeHistograms(a, b)) ties += t * t * t - t;
  const variance = ((na * nb) / 12) * (n + 1 - ties / (n * (n - 1)));
  const z = normalQuantile(1 - alpha / 2);
  const k = Math.floor(pairs / 2 - z * Math.sqrt(Math.max(0, variance)));
  if (k < 1) return { ...base, difference, ci_low: null, ci_high: null };
  return { ...base, difference, ci_low: kthDifference(a, b, k), ci_high: kthDifference(a, b, pairs - k + 1) };
}
