import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTrustedEvent } from '../events/index.ts';
import { Backfill, loadScenario, type Truth } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { loadSimulation, migratedStore, verdictedCases } from '../testing/index.ts';
import { Random } from '../vendors/index.ts';
import { calibrate, cusumWeights, DEFAULT_SETTINGS, driftOfCases, queries, readReport, runAnalytics, wilson, type DriftCase } from './index.ts';
import { labelFreeRows, type LabelFreeDay } from './label-free.ts';
import { fill } from './queries.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await migratedStore('analytics'));
});
afterAll(() => close());

const load = (scenario: string, seed: string, weeks: number, volume = 1): Promise<Truth> => loadSimulation(store, { ...loadScenario(scenario), volume_factor: volume }, seed, weeks);

/**
 * RBfracture's network sensitivity over a week of the stable pilot at 0.4 of its volume, counted from the
 * simulated events (made without the schema check, as the bulk load makes them) as the analytics count them (verdicted binary cases), with its 95 % Wilson interval,
 * and the truth it estimates: the simulator's sensitivity weighted by positives.
 */
function sensitivityOfDraws(seed: string): { tp: number; positives: number; ci: [number, number]; expected: number } {
  const backfill = new Backfill({ scenario: { ...loadScenario('stable'), volume_factor: 0.4 }, seed, weeks: 1, makeEvent: makeTrustedEvent });
  const events = [...backfill.weeks()].flatMap((w) => w.events);
  const cases = verdictedCases(events, { product: 'rbfracture' }).filter((c) => c.truth === 1);
  const tp = cases.filter((c) => c.ai === 1).length;
  const cells = backfill.truth.result().rates.filter((r) => r.product === 'rbfracture');
  return { tp, positives: cases.length, ci: wilson(tp, cases.length), expected: weighted(cells, (r) => r.sensitivity, (r) => r.positives) };
}

const weighted = (rows: Truth['rates'], value: (r: Truth['rates'][number]) => number, weight: (r: Truth['rates'][number]) => number) =>
  rows.reduce((s, r) => s + value(r) * weight(r), 0) / rows.reduce((s, r) => s + weight(r), 0);

describe('analytics on a simulated pilot with known truth', () => {
  it('estimate adoption per hospital x product x week within their intervals, and report it per audience', async () => {
    const truth = await load('stable', '21', 6);
    await runAnalytics(store, { jobs: ['adoption', 'turnaround', 'availability', 'performance'] });
    const report = await readReport(store, 'lead');
    const cells = report.adoption as { hospital: string; product: string; week: string; eligible: number; rate: number; ci_low: number; ci_high: number }[];
    let covered = 0;
    for (const cell of cells) {
      const t = truth.rates.find((r) => r.hospital === cell.hospital && r.product === cell.product && r.week === cell.week)!;
      expect(t, `${cell.hospital} ${cell.product} ${cell.week}`).toBeDefined();
      expect(cell.eligible).toBe(t.eligible);
      if (t.adoption >= cell.ci_low && t.adoption <= cell.ci_high) covered++;
    }
    // One cell for each hospital x product x week the simulator made eligible studies in, no more, no fewer.
    const eligibleCells = truth.rates.filter((r) => r.eligible > 0);
    expect(cells.length).toBe(eligibleCells.length);
    expect(covered / cells.length).toBeGreaterThan(0.88);
    expect(report.performance).toEqual([]);
    const ops = await readReport(store, 'ops');
    // Turnaround for every hospital x product that had eligible studies (the stable pilot delivers them all).
    const pairs = (rows: { hospital: unknown; product: unknown }[]) => [...new Set(rows.map((r) => `${r.hospital}|${r.product}`))].sort();
    expect(pairs(ops.turnaround as { hospital: unknown; product: unknown }[])).toEqual(pairs(eligibleCells));
    expect(ops.availability.every((a) => a.uptime === 1)).toBe(true);
    const vendor = await readReport(store, 'vendor:visiana');
    expect(new Set(vendor.performance.map((r) => r.product))).toEqual(new Set(['bonexpert']));
    expect(vendor.performance.map((r) => r.metric)).toContain('limits_of_agreement');
  });

  it('follow a slowing product week by week in the time to result, and no other, and list each late study', async () => {
    // The slow scenario's change sooner and quicker: CINA-iPE's inference slows from 19 January to
    // three times its time by 2 February, so that two weeks before and two at the full slowdown
    // fit in six weeks (the scenario itself takes twelve).
    const slow = loadScenario('slow');
    await loadSimulation(store, { ...slow, changes: [{ ...slow.changes[0]!, start: '2026-01-19', ramp_weeks: 2 }] }, '8', 6);
    await runAnalytics(store, { jobs: ['turnaround'] });
    const weekly = await store.query<{ product: string; before: number; after: number; n: number; total: number }>(
      `SELECT product, avgIf(p90_min, week < '2026-01-19') AS before, avgIf(p90_min, week >= '2026-02-02') AS after, sum(n) AS n,
              (SELECT sum(n) FROM turnaround FINAL WHERE urgency = 'routine' AND send_mode = 'automatic' AND product = w.product) AS total
       FROM turnaround_weekly AS w FINAL WHERE urgency = 'routine' AND send_mode = 'automatic' GROUP BY product ORDER BY product`,
    );
    const by = Object.fromEntries(weekly.map((w) => [w.product, w]));
    // Every study of the window is in exactly one week.
    for (const w of weekly) expect(w.n, w.product).toBe(w.total);
    // CINA-iPE's inference takes three times as long from mid-March: its weekly p90 rises; the others stay.
    expect(by['cina-ipe']!.after / by['cina-ipe']!.before).toBeGreaterThan(1.5);
    expect(by['rbfracture']!.after / by['rbfracture']!.before).toBeLessThan(1.2);
    expect(by['bonexpert']!.after / by['bonexpert']!.before).toBeLessThan(1.2);
    // The study-level rows agree with the summary: as many late studies as the share within the norm leaves, each with its trace id.
    const groups = await store.query<{ key: string; n: number; late: number; summary_n: number; summary_late: number; traced: number }>(
      `SELECT concat(s.hospital, ' ', s.product, ' ', s.urgency, ' ', s.send_mode) AS key, count() AS n, countIf(s.minutes > s.norm_min) AS late, countIf(length(s.trace_id) = 32) AS traced,
              any(t.n) AS summary_n, round(any(t.n) * (1 - any(t.within_norm))) AS summary_late
       FROM (SELECT c.*, norm_min FROM study_cases AS c FINAL INNER JOIN turnaround_norms AS m FINAL USING (product, urgency) WHERE completed_at IS NOT NULL AND minutes IS NOT NULL) AS s
       JOIN (SELECT * FROM turnaround FINAL) AS t ON s.hospital = t.hospital AND s.product = t.product AND s.urgency = t.urgency AND s.send_mode = t.send_mode
       GROUP BY key ORDER BY key`,
    );
    const ratios = weekly.map((w) => `${w.product} ${(w.after / w.before).toFixed(2)}`).join(', ');
    console.log(`slowing CINA-iPE: p90 after / before ${ratios}; ${groups.length} groups, ${groups.reduce((sum, g) => sum + g.late, 0)} late studies`);
    expect(groups.length).toBeGreaterThan(20);
    for (const g of groups) expect({ key: g.key, n: g.n, late: g.late, traced: g.traced }).toEqual({ key: g.key, n: g.summary_n, late: g.summary_late, traced: g.n });
    expect(groups.reduce((sum, g) => sum + g.late, 0)).toBeGreaterThan(100);
  });

  it('count the sensitivity of the draws it was given, with their Wilson interval', async () => {
    const truth = await load('stable', 'coverage-0', 1, 0.4);
    await runAnalytics(store, { jobs: ['performance'] });
    const [row] = await store.query<{ ci_low: number; ci_high: number; n: number; value: number }>(
      "SELECT ci_low, ci_high, n, value FROM performance FINAL WHERE hospital = '' AND product = 'rbfracture' AND metric = 'sensitivity' AND subgroup = 'all' ORDER BY window_end - window_start DESC LIMIT 1",
    );
    const drawn = sensitivityOfDraws('coverage-0');
    expect(drawn.positives).toBeGreaterThan(0);
    expect(row!.n).toBe(drawn.positives);
    expect(row!.value).toBeCloseTo(drawn.tp / drawn.positives, 6);
    expect(row!.ci_low).toBeCloseTo(drawn.ci[0], 6);
    expect(row!.ci_high).toBeCloseTo(drawn.ci[1], 6);
    expect(drawn.expected).toBeCloseTo(weighted(truth.rates.filter((r) => r.product === 'rbfracture'), (r) => r.sensitivity, (r) => r.positives), 12);
  });

  it('cover the true sensitivity with their 95 % intervals in about 95 % of seeds', () => {
    // The same estimator as the stored row above (its counts and Wilson interval), on the simulator's draws of 40 seeds.
    let covered = 0;
    const seeds = 40;
    for (let s = 0; s < seeds; s++) {
      const { expected, ci } = sensitivityOfDraws(`coverage-${s}`);
      if (expected >= ci[0] && expected <= ci[1]) covered++;
    }
    // Binomial(40, 0.95): 34 or more in 99.6 % of runs.
    expect(covered).toBeGreaterThanOrEqual(34);
  });

  it('flag the drift scenario for the drifted hospital x product x metric only, after a delay consistent with the expected one', async () => {
    await load('drift', '5', 12);
    await runAnalytics(store);
    const drift = (await readReport(store, 'vendor:radiobotics')).drift as { hospital: string; metric: string; status: string; since: string | null; expected_delay_days: number }[];
    const all = [...drift, ...((await readReport(store, 'vendor:avicenna')).drift as typeof drift), ...((await readReport(store, 'vendor:visiana')).drift as typeof drift)];
    const alarms = all.filter((d) => d.status === 'alarm' && (d.metric === 'sensitivity' || d.metric === 'specificity'));
    expect(alarms.map((d) => `${d.hospital}|${d.metric}`)).toEqual(['gelre|sensitivity']);
    // The label-free input-mix monitor sees the scanner change itself, and only there.
    const mix = all.filter((d) => d.status === 'alarm' && d.metric === 'input_mix');
    expect(mix.map((d) => d.hospital)).toContain('gelre');
    expect(mix.every((d) => d.hospital === 'gelre')).toBe(true);
    const [alarm] = alarms;
    const onset = Date.parse('2026-03-02T00:00:00Z');
    const delayDays = (Date.parse(`${alarm!.since!.replace(' ', 'T')}Z`) - onset) / 86_400_000;
    expect(delayDays).toBeGreaterThan(0);
    expect(delayDays).toBeLessThan(3 * alarm!.expected_delay_days + 7);
    // One episode, still open, whose first signal is the row's `since`; no episode anywhere else.
    const episodes = (await readReport(store, 'all')).episodes as { hospital: string; product: string; metric: string; first_signal: string; closed: string | null }[];
    expect(episodes.map((e) => `${e.hospital}|${e.product}|${e.metric}|${e.closed}`)).toEqual(['gelre|rbfracture|sensitivity|null']);
    expect(episodes[0]!.first_signal).toBe(alarm!.since);

    // The input-mix monitor, read on any day of the second week after the change (the last day seen
    // still filling), alarms, and says the change showed on its first day or the next.
    const days = await store.query<LabelFreeDay>(fill(queries.DRIFT_DAYS, { cells: '1', groups: "hospital = 'gelre' AND product = 'rbfracture'", products: '1', final: '' }));
    for (let day = 10; day <= 16; day++) {
      const upTo = `2026-03-${String(day).padStart(2, '0')}`;
      const mix = labelFreeRows(days.filter((d) => d.day <= upTo), DEFAULT_SETTINGS).find((r) => r.metric === 'input_mix')!;
      expect(mix.status, `read on ${upTo}`).toBe('alarm');
      expect(['2026-03-02', '2026-03-03'], `read on ${upTo}: since ${mix.since}`).toContain(mix.since!.slice(0, 10));
      expect(mix.peak).toBeGreaterThanOrEqual(mix.statistic);
    }
  });

  it('start a new baseline for a new model version', async () => {
    await load('vendor-update', '6', 12);
    await runAnalytics(store, { jobs: ['performance', 'drift'] });
    const report = await readReport(store, 'vendor:radiobotics');
    const rows = report.drift as { hospital: string; model_version: string; metric: string; status: string; baseline: number }[];
    const gelre = rows.filter((r) => r.hospital === 'gelre' && r.metric === 'specificity');
    expect(gelre.map((r) => r.model_version).sort()).toEqual(['2.1.0', '3.0.0']);
    const old = gelre.find((r) => r.model_version === '2.1.0')!;
    const updated = gelre.find((r) => r.model_version === '3.0.0')!;
    expect(updated.baseline).toBeLessThan(old.baseline - 0.04);
    expect(rows.filter((r) => (r.metric === 'sensitivity' || r.metric === 'specificity') && r.status === 'alarm')).toEqual([]);
    const versions = new Set(report.performance.filter((r) => r.metric === 'specificity').map((r) => r.model_version));
    expect(versions).toEqual(new Set(['2.1.0', '3.0.0']));
  });
});

describe('the sensitivity and specificity monitors', () => {
  it('raise no alarm over a simulated year of a stable site in at least 95 % of seeds', () => {
    // One site at the pilot's busiest fracture volume: 280 X-rays a week, 30 % fractures,
    // 85 % verdicted, RBfracture's baseline performance.
    let seedsWithAlarm = 0;
    const seeds = 20;
    for (let s = 0; s < seeds; s++) {
      const random = new Random(`year-${s}`);
      const cases: DriftCase[] = [];
      const start = Date.parse('2026-01-05T00:00:00Z');
      for (let week = 0; week < 52; week++) {
        for (let i = 0; i < 280 * 0.85; i++) {
          const truth = random.chance(0.3) ? 1 : 0;
          const ai = truth ? (random.chance(0.92) ? 1 : 0) : random.chance(0.88) ? 0 : 1;
          cases.push({ hospital: 'site', product: 'rbfracture', model_version: '2.1.0', at: start + week * 7 * 86_400_000 + i * 2_500_000, ai, truth });
        }
      }
      const rows = driftOfCases(cases, DEFAULT_SETTINGS);
      expect(rows.map((r) => r.status).every((st) => st !== 'insufficient-data')).toBe(true);
      if (rows.some((r) => r.peak >= r.threshold)) seedsWithAlarm++;
    }
    expect(seedsWithAlarm).toBeLessThanOrEqual(1);
  });
});

describe('the CUSUM threshold', () => {
  it('gives the in-control run length it was set for, and the stated detection delay, within 20 % of simulation', async () => {
    for (const [p0, p1, target] of [[0.1, 0.2, 800], [0.15, 0.25, 1500], [0.06, 0.16, 600]] as const) {
      const { h, arl0, arl1 } = calibrate(p0, p1, target);
      expect(arl0).toBeCloseTo(target, -1);
      const simulated0 = averageRunLength(h, p0, p1, p0, 1500, 1e6, 'check');
      const simulated1 = averageRunLength(h, p0, p1, p1, 1500, 1e6, 'check');
      expect(simulated0 / target).toBeGreaterThan(0.8);
      expect(simulated0 / target).toBeLessThan(1.2);
      expect(simulated1 / arl1).toBeGreaterThan(0.8);
      expect(simulated1 / arl1).toBeLessThan(1.2);
    }
  });
});

describe('the label-free tests', () => {
  it('compute the two-sample KS statistic and Pearson chi-square', async () => {
    const { ksStatistic, chiSquare } = await import('./label-free.ts');
    expect(ksStatistic([0.1, 0.2, 0.3], [0.1, 0.2, 0.3])).toBe(0);
    expect(ksStatistic([0.1, 0.2], [0.8, 0.9])).toBe(1);
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    // 2x2 table [[10, 20], [30, 40]]: chi-square 0.794 with 1 degree of freedom.
    const { statistic, df } = chiSquare(new Map([['a', 10], ['b', 20]]), new Map([['a', 30], ['b', 40]]));
    expect(statistic).toBeCloseTo(0.7937, 3);
    expect(df).toBe(1);
  });
});

/** Average run length (cases until an alarm) when failures occur with probability p, estimated by simulation. */
function averageRunLength(h: number, p0: number, p1: number, p: number, runs = 400, cap = 200_000, seed = 'arl'): number {
  const w = cusumWeights(p0, p1);
  const random = new Random(`${seed}|${h}|${p0}|${p1}|${p}`);
  let total = 0;
  for (let r = 0; r < runs; r++) {
    let s = 0;
    let t = 0;
    while (t < cap) {
      t++;
      s = Math.max(0, s + (random.chance(p) ? w.failure : w.success));
      if (s >= h) break;
    }
    total += t;
  }
  return total / runs;
}

