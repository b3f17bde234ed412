import { describe, expect, it } from 'vitest';
import { Random } from '../vendors/index.ts';
import { planReport, TRUE_REPORT_EFFECT_MIN } from '../simulator/index.ts';
import type { ProductId } from '../events/index.ts';
import { histogramMedian, histogramOf, hodgesLehmann } from './hodges-lehmann.ts';

/** Every pairwise difference, sorted: the definition the fast estimator must agree with. */
function bruteForce(a: number[], b: number[]): number[] {
  return a.flatMap((x) => b.map((y) => x - y)).sort((x, y) => x - y);
}

describe('Hodges-Lehmann on whole-minute histograms', () => {
  it('gives the median of the pairwise differences and the order statistics of the interval, as by brute force', () => {
    const seed = 'hl-brute';
    const random = new Random(seed);
    for (let trial = 0; trial < 50; trial++) {
      const a = Array.from({ length: 1 + random.int(40) }, () => Math.floor(random.logNormal(60, 0.5)));
      const b = Array.from({ length: 1 + random.int(40) }, () => Math.floor(random.logNormal(55, 0.6)));
      const d = bruteForce(a, b);
      const n = d.length;
      const median = n % 2 ? d[(n - 1) / 2]! : (d[n / 2 - 1]! + d[n / 2]!) / 2;
      const estimate = hodgesLehmann(histogramOf(a), histogramOf(b));
      expect(estimate.difference, `${seed} trial ${trial}`).toBe(median);
      expect(estimate.n_a).toBe(a.length);
      if (estimate.ci_low !== null) {
        // the k-th smallest and the k-th largest pairwise differences, for the same k
        const ks = Array.from({ length: Math.floor(n / 2) }, (_, i) => i + 1);
        expect(ks.some((k) => d[k - 1] === estimate.ci_low && d[n - k] === estimate.ci_high), `${seed} trial ${trial}`).toBe(true);
        expect(estimate.ci_low).toBeLessThanOrEqual(median);
        expect(estimate.ci_high).toBeGreaterThanOrEqual(median);
      }
      const sortedA = [...a].sort((x, y) => x - y);
      const m = sortedA.length % 2 ? sortedA[(sortedA.length - 1) / 2]! : (sortedA[sortedA.length / 2 - 1]! + sortedA[sortedA.length / 2]!) / 2;
      expect(histogramMedian(histogramOf(a))).toBe(m);
    }
  });

  it('has no estimate for an empty arm and no interval for tiny ones', () => {
    expect(hodgesLehmann([], histogramOf([1, 2, 3]))).toMatchObject({ n_a: 0, n_b: 3, difference: null, ci_low: null });
    expect(hodgesLehmann(histogramOf([5]), histogramOf([3]))).toMatchObject({ difference: 2, ci_low: null, ci_high: null });
  });

  /**
   * Draws one simulated hospital's reports the way the simulator does (the
   * reading starts after the result; a reader who looks at the AI result signs
   * the product's true effect sooner), and estimates the effect from the whole
   * minutes from acquisition to the final report.
   */
  function simulatedEstimate(product: ProductId, seed: string, studies: number, viewShare: number) {
    const random = new Random(seed);
    const viewed: number[] = [];
    const unviewed: number[] = [];
    for (let i = 0; i < studies; i++) {
      const readAt = random.logNormal(3 * 60_000, 0.6) + random.logNormal(45 * 60_000, 0.8);
      const seen = random.chance(viewShare);
      const report = planReport(new Random(`${seed}|report|${i}`), 'routine', 90_000, [{ product, readAt, viewed: seen, finding: 'negative' }]);
      const final = report.statuses.find((s) => s.status === 'final')!.at;
      (seen ? viewed : unviewed).push(Math.floor(final / 60_000));
    }
    return hodgesLehmann(histogramOf(viewed), histogramOf(unviewed));
  }

  it.each(['bonexpert', 'rbfracture', 'cina-ipe'] as const)('covers the true effect of %s in about 95 percent of seeds', (product) => {
    const truth = TRUE_REPORT_EFFECT_MIN[product]!;
    const seeds = 300;
    let covered = 0;
    let significant = 0;
    const estimates: number[] = [];
    for (let s = 0; s < seeds; s++) {
      const e = simulatedEstimate(product, `benefit-${product}-${s}`, 240, 0.5);
      if (e.ci_low! <= truth && truth <= e.ci_high!) covered++;
      if (e.ci_high! < 0 || e.ci_low! > 0) significant++;
      estimates.push(e.difference!);
    }
    const coverage = covered / seeds;
    const mean = estimates.reduce((x, y) => x + y, 0) / seeds;
    const sd = Math.sqrt(estimates.reduce((x, y) => x + (y - mean) ** 2, 0) / (seeds - 1));
    console.log(
      `${product}: true effect ${truth} min; over ${seeds} seeds of 240 studies the estimate averages ${mean.toFixed(2)} min (sd ${sd.toFixed(2)}), ` +
        `its 95 % interval covers the truth in ${(coverage * 100).toFixed(1)} % and excludes 0 in ${((significant / seeds) * 100).toFixed(1)} %`,
    );
    // unbiased: the mean estimate within 4 standard errors of the truth
    expect(Math.abs(mean - truth)).toBeLessThan((4 * sd) / Math.sqrt(seeds));
    // 300 seeds: a 95 % coverage lies in [0.92, 0.975] with 99 % probability; whole minutes make the interval a little wider
    expect(coverage).toBeGreaterThanOrEqual(0.92);
    expect(coverage).toBeLessThanOrEqual(0.995);
    // where there is no effect, one is found no more often than the 5 % the interval allows (with room for 300 seeds)
    if (truth === 0) expect(significant / seeds).toBeLessThanOrEqual(0.08);
  });
});
