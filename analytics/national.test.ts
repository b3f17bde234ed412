import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkLoad, loadScenario, type Scenario, type Truth } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore, studyEventsOf, verdictedCases } from '../testing/index.ts';
import { DEFAULT_SETTINGS, monitorCases, runAnalytics, type DriftRow, type MonitorReference } from './index.ts';
import type { MonitorState } from './drift.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;
let truth: Truth;
/** The national network at 2 % of its volume: 70 hospitals, 20 products, stable performance throughout. */
const NATIONAL: Scenario = { ...loadScenario('national'), volume_factor: 0.02 };
const SEED = 'national-test';
/** Weeks loaded through chDB: the counts, and the monitors as the analytics run them, four weeks past their first reference. */
const LOADED_WEEKS = 8;
/** Weeks the false-alarm check runs the monitors over (on the same draws, counted in process). */
const WEEKS = 26;

beforeAll(async () => {
  ({ store, close } = await migratedStore('national'));
  // One worker: test files run side by side on the cores, and one worker spends the least CPU.
  ({ truth } = await bulkLoad({ store, scenario: NATIONAL, seed: SEED, weeks: LOADED_WEEKS, workers: 1 }));
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

const RATE_METRICS = ['sensitivity', 'specificity'] as const;
type RateMetric = (typeof RATE_METRICS)[number];

/** The monitors of each hospital x product x model version over the verdicted cases of the seed's first `weeks` weeks, counted in process. */
function monitorsOf(weeks: number): { key: string; reference: MonitorReference; state: MonitorState; rows: (DriftRow & { key: string })[] }[] {
  const { rows, references, states } = monitorCases(verdictedCases(studyEventsOf(NATIONAL, SEED, weeks)), DEFAULT_SETTINGS);
  // monitorCases gives each monitor's two rows (sensitivity, specificity) in the order of its references and states.
  expect(rows.length).toBe(2 * states.length);
  return states.map((state, i) => {
    const key = `${rows[2 * i]!.hospital} ${rows[2 * i]!.product} ${rows[2 * i]!.model_version}`;
    return { key, reference: references[i]!, state, rows: rows.slice(2 * i, 2 * i + 2).map((r) => ({ ...r, key })) };
  });
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

  it('run the sensitivity and specificity monitors in the store as they run on the simulated cases in process', async () => {
    // What lets the false-alarm check below count on the simulated cases without a chDB load of its 26 weeks.
    const rows = await store.query<{ key: string; metric: string; status: string; n: number; baseline_n: number; statistic: number; threshold: number; peak: number; target_arl_days: number }>(
      `SELECT concat(hospital, ' ', product, ' ', model_version) AS key, metric, status, n, baseline_n, statistic, threshold, peak, target_arl_days
       FROM drift FINAL WHERE metric IN ('sensitivity', 'specificity') ORDER BY key, metric`,
    );
    const checkpoints = await store.query<{ key: string; state: string }>(
      `SELECT concat(hospital, ' ', product, ' ', model_version) AS key, argMax(state, week) AS state FROM drift_checkpoints FINAL GROUP BY hospital, product, model_version`,
    );
    const monitors = monitorsOf(LOADED_WEEKS);
    const expected = monitors.flatMap((m) => m.rows).sort((a, b) => a.key.localeCompare(b.key) || a.metric.localeCompare(b.metric));
    // Monitors past their first reference, and some not yet: the comparison covers both.
    expect(expected.filter((r) => r.status !== 'insufficient-data').length).toBeGreaterThan(50);
    expect(expected.filter((r) => r.status === 'insufficient-data').length).toBeGreaterThan(0);
    const line = (r: { key: string; metric: string; status: string; n: number; baseline_n: number }) => `${r.key} ${r.metric} ${r.status} ${r.n} ${r.baseline_n}`;
    expect(rows.map(line)).toEqual(expected.map(line));
    rows.forEach((r, i) => {
      for (const field of ['statistic', 'threshold', 'peak', 'target_arl_days'] as const) expect(Number(r[field]), `${line(r)} ${field}`).toBeCloseTo(expected[i]![field], 6);
    });
    const stored = new Map(checkpoints.map((c) => [c.key, JSON.parse(c.state) as MonitorState]));
    for (const m of monitors.filter((m) => m.state.lastAt !== null)) {
      const s = stored.get(m.key);
      expect(s, m.key).toBeDefined();
      expect(s!.lastAt, m.key).toBe(m.state.lastAt);
      expect(s!.reference, m.key).toBe(m.state.reference);
      for (const metric of RATE_METRICS) expect([s!.metrics[metric].n, s!.metrics[metric].signals], `${m.key} ${metric}`).toEqual([m.state.metrics[metric].n, m.state.metrics[metric].signals]);
    }
  });

  it('raise no more false alarms than the stated in-control run length allows, per monitor and in all', () => {
    // Performance is as contracted throughout, so every signal of a sensitivity or specificity CUSUM is a false alarm.
    // The monitors over the 26 weeks' verdicted cases, run as the store runs them (the test above).
    const monitors = monitorsOf(WEEKS).flatMap((m) => m.rows.filter((r) => r.status !== 'insufficient-data').map((r) => ({ ...m, row: r })));
    expect(monitors.length).toBeGreaterThan(50);
    let expected = 0;
    let observed = 0;
    for (const m of monitors) {
      const days = Math.max(0, (m.state.lastAt! - m.reference.monitorFrom) / 86_400_000);
      const lambda = days / m.row.target_arl_days;
      const signals = m.state.metrics[m.row.metric as RateMetric].signals;
      // Each monitor: at most what its run length allows at 1 - 0.01 / monitors (Bonferroni).
      expect(signals, `${m.key} ${m.row.metric}: ${signals} signals in ${days.toFixed(0)} days at an ARL of ${m.row.target_arl_days} days`).toBeLessThanOrEqual(poissonUpper(lambda, 0.01 / monitors.length));
      expected += lambda;
      observed += signals;
    }
    console.log(`stable national network: ${monitors.length} monitors, ${observed} false alarms, ${expected.toFixed(2)} expected from the stated run lengths`);
    expect(observed, `${observed} false alarms where the stated run lengths expect ${expected.toFixed(2)}`).toBeLessThanOrEqual(poissonUpper(expected, 0.001));
  });
});
