import { describe, expect, it } from 'vitest';
import { binomialAtLeast, binomialAtMost, binomialZ, chiSquareCritical, normalQuantile } from './distributions.ts';
import { histogramQuantileSql } from './queries.ts';
import { migratedStore } from '../testing/index.ts';

// Reference values computed with mpmath at 30 significant digits: binomial tails by summing the
// exact probability mass function, quantiles by root-finding on the exact distribution functions.
const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('the distribution functions at national cell sizes', () => {
  it('give binomial tails at n = 10^6 and far into the tail, where a running product underflows', () => {
    const cases: [number, number, number, number][] = [
      [300_500, 1e6, 0.3, 0.13786294612631348],
      [303_000, 1e6, 0.3, 3.0883946441611196e-11],
      [310_000, 1e6, 0.3, 3.2377671079890454e-105],
      [700, 2100, 0.3, 0.00051902975434000223],
      [2200, 5000, 0.3, 6.5489821812961503e-97],
    ];
    for (const [x, n, p, expected] of cases) expect(relative(binomialAtLeast(x, n, p), expected), `P(X >= ${x} | ${n}, ${p})`).toBeLessThan(1e-8);
    expect(relative(binomialAtMost(299_000, 1e6, 0.3), 0.014568219219127644)).toBeLessThan(1e-8);
    expect(relative(binomialAtMost(290_000, 1e6, 0.3), 1.5735548992898496e-106)).toBeLessThan(1e-8);
    expect(binomialAtLeast(0, 1e6, 0.3)).toBe(1);
    expect(binomialAtLeast(1e6 + 1, 1e6, 0.3)).toBe(0);
  });

  it('give normal quantiles down to 1e-100 and chi-square critical values at 200 degrees of freedom', () => {
    for (const [q, expected] of [[1e-20, -9.2623400897984076], [1e-12, -7.0344838253011319], [0.025, -1.9599639845400542], [1e-100, -21.273453560965324]] as const) {
      expect(relative(normalQuantile(q), expected), `quantile ${q}`).toBeLessThan(1e-9);
    }
    expect(relative(normalQuantile(0.975), 1.9599639845400542)).toBeLessThan(1e-9);
    for (const [alpha, df, expected] of [[0.005, 200, 255.26415545152314], [0.05, 200, 233.99426889232493], [0.005, 30, 53.671961930240591], [0.005, 1, 7.8794385766224173]] as const) {
      expect(relative(chiSquareCritical(alpha, df), expected), `chi-square ${alpha} ${df}`).toBeLessThan(1e-9);
    }
  });

  it('turn a count into a signed z-score that stays ordinary for an ordinary large week', () => {
    // 10^6 cases at p = 0.3: one standard deviation is 458 cases.
    expect(Math.abs(binomialZ(300_000, 1e6, 0.3))).toBeLessThan(0.01);
    expect(binomialZ(300_458, 1e6, 0.3)).toBeGreaterThan(0.9);
    expect(binomialZ(300_458, 1e6, 0.3)).toBeLessThan(1.1);
    expect(binomialZ(299_000, 1e6, 0.3)).toBeCloseTo(-2.18, 2);
    expect(binomialZ(310_000, 1e6, 0.3)).toBe(10);
  });
});

describe('the histogram quantiles', () => {
  it('roll up to within 0.5 % of the exact quantile', async () => {
    const { store, close } = await migratedStore('histogram');
    try {
      const [row] = await store.query<{ exact50: number; exact90: number; exact95: number; h50: number; h90: number; h95: number }>(
        `WITH sumMap(map(toUInt16(round(200 * log1p(x))), toUInt32(1))) AS h
         SELECT quantileExact(0.5)(x) AS exact50, quantileExact(0.9)(x) AS exact90, quantileExact(0.95)(x) AS exact95,
                ${histogramQuantileSql(0.5, 'h')} AS h50, ${histogramQuantileSql(0.9, 'h')} AS h90, ${histogramQuantileSql(0.95, 'h')} AS h95
         FROM (SELECT exp(randNormal(3, 0.8)) AS x FROM numbers(200000))`,
      );
      for (const q of ['50', '90', '95'] as const) {
        const exact = row![`exact${q}` as const];
        expect(relative(row![`h${q}` as const], exact), `p${q}`).toBeLessThan(0.005);
      }
    } finally {
      await close();
    }
  });
});
