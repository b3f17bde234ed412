import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkLoad, loadScenario, type Truth } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore } from '../testing/index.ts';
import { runAnalytics } from './index.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;
let truth: Truth;
const WEEKS = 26;

beforeAll(async () => {
  ({ store, close } = await migratedStore('national'));
  // The national network at 2 % of its volume: 70 hospitals, 20 products, stable performance throughout.
  // One worker: test files run side by side on the cores, and one worker spends the least CPU.
  ({ truth } = await bulkLoad({ store, scenario: loadScenario('national'), seed: 'national-test', weeks: WEEKS, volumeFactor: 0.02, workers: 1 }));
  await runAnalytics(store, { settleMs: 0 });
}, 600_000);
afterAll(() => close());

/** The smallest k with P(N <= k) >= 1 - alpha for N ~ Poisson(lambda). */
function poissonUpper(lambda: number, alpha: number): number {
  let k = 0;
  let pmf = Math.exp(-lambda);
  let cdf = pmf;
  while (cdf < 1 - alpha) {
    k++;
    pmf *= lambda / k;
    cdf += pmf;
  }
  return k;
}

describe('the analytics of a stable national network', () => {
  it('count every eligible study of every hospital x product x week as the simulator made them', async () => {
    const cells = await store.query<{ hospital: string; product: string; week: string; eligible: number }>('SELECT hospital, product, toString(week) AS week, eligible FROM adoption_weekly FINAL');
    const counted = new Map(cells.map((c) => [`${c.hospital}|${c.product}|${c.week}`, Number(c.eligible)]));
    expect(new Set(cells.map((c) => c.hospital)).size).toBe(70);
    expect(new Set(cells.map((c) => c.product)).size).toBe(20);
    for (const r of truth.rates) expect(counted.get(`${r.hospital}|${r.product}|${r.week}`) ?? 0, `${r.hospital} ${r.product} ${r.week}`).toBe(r.eligible);
    expect(cells.length).toBe(truth.rates.length);
  });

  it('raise no more false alarms than the stated in-control run length allows, per monitor and in all', async () => {
    // Performance is as contracted throughout, so every signal of a sensitivity or specificity CUSUM is a false alarm.
    const monitors = await store.query<{ key: string; metric: string; target_arl_days: number; state: string }>(
      `SELECT concat(d.hospital, ' ', d.product, ' ', d.model_version) AS key, d.metric, d.target_arl_days, c.state
       FROM drift AS d FINAL
       INNER JOIN (SELECT hospital, product, model_version, argMax(state, week) AS state FROM drift_checkpoints FINAL GROUP BY hospital, product, model_version) AS c
         ON d.hospital = c.hospital AND d.product = c.product AND d.model_version = c.model_version
       WHERE d.metric IN ('sensitivity', 'specificity') AND d.status != 'insufficient-data'`,
    );
    expect(monitors.length).toBeGreaterThan(50);
    let expected = 0;
    let observed = 0;
    for (const m of monitors) {
      const state = JSON.parse(m.state) as { lastAt: number; reference: string; metrics: Record<string, { signals: number }> };
      const { monitorFrom } = JSON.parse(state.reference) as { monitorFrom: number };
      const days = Math.max(0, (state.lastAt - monitorFrom) / 86_400_000);
      const lambda = days / Number(m.target_arl_days);
      const signals = state.metrics[m.metric]!.signals;
      // Each monitor: at most what its run length allows at 1 - 0.01 / monitors (Bonferroni).
      expect(signals, `${m.key} ${m.metric}: ${signals} signals in ${days.toFixed(0)} days at an ARL of ${m.target_arl_days} days`).toBeLessThanOrEqual(poissonUpper(lambda, 0.01 / monitors.length));
      expected += lambda;
      observed += signals;
    }
    console.log(`stable national network: ${monitors.length} monitors, ${observed} false alarms, ${expected.toFixed(2)} expected from the stated run lengths`);
    expect(observed, `${observed} false alarms where the stated run lengths expect ${expected.toFixed(2)}`).toBeLessThanOrEqual(poissonUpper(expected, 0.001));
  });
});
