import betaQuantileOf from '@stdlib/stats-base-dists-beta-quantile';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import chiSquareQuantileOf from '@stdlib/stats-base-dists-chisquare-quantile';
import erfcinv from '@stdlib/math-base-special-erfcinv';

/**
 * Exact distribution functions from @stdlib, in the forms the monitors use.
 * Each tail is computed as a lower tail (the symmetry of the binomial), so that
 * a tail far smaller than 1e-16 keeps its precision instead of becoming 1 - 1.
 */

/** The q quantile of Beta(a, b). */
export function betaQuantile(q: number, a: number, b: number): number {
  return betaQuantileOf(q, a, b);
}

/** P(X >= x) for X ~ Binomial(n, p). */
export function binomialAtLeast(x: number, n: number, p: number): number {
  if (x <= 0) return 1;
  if (x > n) return 0;
  // P(X >= x) = P(n - X <= n - x), and n - X ~ Binomial(n, 1 - p).
  return binomialCdf(n - x, n, 1 - p);
}

/** P(X <= x) for X ~ Binomial(n, p). */
export function binomialAtMost(x: number, n: number, p: number): number {
  if (x < 0) return 0;
  if (x >= n) return 1;
  return binomialCdf(x, n, p);
}

/** The standard normal quantile, through the inverse complementary error function (finite down to 1e-300). */
export function normalQuantile(q: number): number {
  if (q <= 0) return -Infinity;
  if (q >= 1) return Infinity;
  return q < 0.5 ? -Math.SQRT2 * erfcinv(2 * q) : Math.SQRT2 * erfcinv(2 * (1 - q));
}

/** The value a chi-square with `df` degrees of freedom exceeds with probability `alpha`. */
export function chiSquareCritical(alpha: number, df: number): number {
  return chiSquareQuantileOf(1 - alpha, df);
}

/**
 * How far out a count is against its expected binomial, as a signed z-score:
 * the smaller exact tail turned into a normal quantile, capped at ±10.
 */
export function binomialZ(x: number, n: number, p: number): number {
  const upper = binomialAtLeast(x, n, p);
  const lower = binomialAtMost(x, n, p);
  const tail = Math.min(upper, lower, 0.5);
  return Math.sign(x / n - p) * Math.min(10, -normalQuantile(tail));
}

/** The smallest x with P(X <= x) >= q for X ~ Binomial(n, p) (bisection over the exact distribution function). */
export function binomialQuantile(q: number, n: number, p: number): number {
  let low = 0;
  let high = n;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (binomialCdf(mid, n, p) >= q) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * binomialQuantile at each of `qs` (ascending): the same values, from one
 * bisection for the first and a walk up the distribution function after it.
 */
export function binomialQuantiles(qs: number[], n: number, p: number): number[] {
  if (qs.length === 0) return [];
  let x = binomialQuantile(qs[0]!, n, p);
  let cdf = binomialCdf(x, n, p);
  return qs.map((q) => {
    while (cdf < q && x < n) cdf = binomialCdf(++x, n, p);
    return x;
  });
}
