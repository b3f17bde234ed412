import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { makeTrustedEvent, uuidv7For } from '../events/index.ts';
import { Backfill, loadScenario } from '../simulator/index.ts';
import type { EmbeddedStore, Row } from '../store/index.ts';
import { emptyStore, migratedStore } from '../testing/index.ts';
import { Random } from '../vendors/index.ts';
import { chartsOf, forgetCharts, statedFigures, type MetricReference, type StatedFigures } from './drift.ts';
import { DEFAULT_SETTINGS, runAnalytics } from './index.ts';
import type { AnalyticsSettings } from './norms.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await migratedStore('incremental'));
});
afterAll(() => close());

/** Every table an analytics run writes, with its key: what must be the same however the events arrived. */
const RESULTS: Record<string, string> = {
  study_cases: 'hospital, product, week, study_key',
  adoption_weekly: 'hospital, product, week',
  user_usage_weekly: 'hospital, product, week, user_key',
  user_usage: 'hospital, product, user_key',
  turnaround_weekly: 'hospital, product, week, urgency, send_mode',
  turnaround: 'hospital, product, urgency, send_mode',
  data_quality_weekly: 'hospital, product, week, manufacturer, device_model',
  availability_daily: 'hospital, component, day',
  performance_cells: 'hospital, product, week, model_version, month, subgroup',
  performance: 'hospital, product, model_version, metric, subgroup, window_start',
  drift_cells: 'hospital, product, week, model_version, day',
  drift_checkpoints: 'hospital, product, model_version, week',
  drift_label_free_checkpoints: 'hospital, product, model_version, week',
  drift: 'hospital, product, model_version, metric',
  cost_cells: 'hospital, product, week, month',
  cost_monthly: 'hospital, product, month',
  cost_yearly: 'hospital, product, contract_year',
  benefit_weeks: 'hospital, product, week',
  benefit_live: 'hospital, product',
  benefit_cells: 'hospital, product, week, urgency, viewed_before, after_live, modality, age_band',
  benefit: 'hospital, product, urgency, comparison',
  report_agreement: 'hospital, product',
  drift_episodes: 'hospital, product, model_version, metric, first_signal',
};

/**
 * The rows of every result table, without the time they were computed. Floating
 * sums depend on the order ClickHouse adds them in (the parts differ between
 * the two ways), so floats are compared to 12 significant digits.
 */
async function snapshot(): Promise<Record<string, unknown[]>> {
  const round = (v: unknown): unknown =>
    typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(round) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v;
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(RESULTS)) {
    const rows = await store.query<Row>(`SELECT * EXCEPT (computed_at, is_deleted) FROM ${table} FINAL ORDER BY ${key}`);
    out[table] = rows.map((r) => {
      // A checkpoint's state is JSON: compare it parsed and rounded like the rest.
      if (table === 'drift_checkpoints' || table === 'drift_label_free_checkpoints') return { ...r, state: round(JSON.parse(String(r.state))) };
      return round(r);
    });
  }
  return out;
}

const revive = (text: string) => JSON.parse(text, (_, x: unknown) => (x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x)) as unknown;

/**
 * Every row of drift_charts is what chartsOf makes, in a process that has made
 * nothing, for the counts and settings of its key (and its stated figures, if
 * any, what statedFigures simulates for them). Returns the rows.
 */
async function chartsAreMade(): Promise<{ slot: string; key: string; figures: string; computed_at: string }[]> {
  const rows = await chartRows();
  forgetCharts();
  for (const row of rows) {
    const [, failures, n, perDay, targetFalseAlarmYears, guarantee, shifts, shiftShares] = JSON.parse(row.key) as [number, number, number, number, number, number, number[], number[]];
    const settings: AnalyticsSettings = { ...DEFAULT_SETTINGS, targetFalseAlarmYears, guarantee, shifts, shiftShares };
    const made = chartsOf(failures, n, perDay, settings);
    expect(revive(row.charts), row.slot).toEqual(made);
    if (row.figures) expect(revive(row.figures) as StatedFigures, row.slot).toEqual(statedFigures(made as Omit<MetricReference, 'from' | 'weeks'>));
  }
  forgetCharts();
  return rows;
}

/** The rows of drift_charts, each under its hospital | product | model version | metric | weeks. */
const chartRows = () =>
  store.query<{ slot: string; key: string; charts: string; figures: string; computed_at: string }>(
    "SELECT concat(hospital, '|', product, '|', model_version, '|', metric, '|', toString(weeks)) AS slot, key, charts, figures, toString(computed_at) AS computed_at FROM drift_charts FINAL ORDER BY slot",
  );

/** The tables a piece of work writes to (an INSERT's target, or a truncated table), in the order it wrote. */
async function writesOf(work: () => Promise<unknown>): Promise<string[]> {
  const written: string[] = [];
  const { exec, insert } = store;
  store.exec = ((sql: string, params?: Parameters<typeof exec>[1]) => {
    const target = /^\s*(?:INSERT INTO|TRUNCATE TABLE)\s+(\w+)/i.exec(sql)?.[1];
    if (target) written.push(target);
    return exec.call(store, sql, params);
  }) as typeof exec;
  store.insert = ((table: string, rows: Row[]) => {
    written.push(table);
    return insert.call(store, table, rows);
  }) as typeof insert;
  try {
    await work();
  } finally {
    store.exec = exec;
    store.insert = insert;
  }
  return written;
}

describe('incremental analytics', () => {
  it('give every row one rebuild gives, with events arriving in any order, late, replayed, and studies moving week', async () => {
    const seed = process.env.AIFI_TEST_SEED ?? String(Date.now() % 100_000);
    console.log(`incremental equivalence: seed ${seed}`);
    await emptyStore(store);
    const backfill = new Backfill({ scenario: { ...loadScenario('drift'), volume_factor: 0.5 }, seed: 'equivalence', weeks: 10, makeEvent: makeTrustedEvent });
    const rows: Row[] = [];
    for (const week of backfill.weeks()) rows.push(...week.events.map(eventToRow));
    const random = new Random(seed);
    // A few studies turn out to have been received eight days earlier (an earlier copy
    // arrives last): they move to another week, and must leave their old cells.
    const received = rows.filter((r) => r.type === 'study.received');
    const moved = Array.from({ length: 12 }, () => received[random.int(received.length)]!).map((r, i) => {
      const earlier = Date.parse(`${String(r.occurred_at).replace(' ', 'T')}Z`) - 8 * 86_400_000;
      const at = new Date(earlier).toISOString().slice(0, 23).replace('T', ' ');
      return { ...r, event_id: uuidv7For(`moved|${i}|${r.event_id}`, earlier), occurred_at: at, acquired_at: null } as Row;
    });
    // Any order: shuffled, then cut into batches of random sizes, one run after each.
    for (let i = rows.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const cuts = [0, ...Array.from({ length: 6 }, () => random.int(rows.length)).sort((a, b) => a - b), rows.length];
    let runs = 0;
    for (let b = 0; b + 1 < cuts.length; b++) {
      const batch = rows.slice(cuts[b], cuts[b + 1]);
      if (batch.length === 0) continue;
      await insertEventRows(store, batch);
      // A replayed batch (delivery is at-least-once) changes nothing.
      if (b === 2) await insertEventRows(store, batch.slice(0, 500));
      const run = await runAnalytics(store, { settleMs: 0 });
      expect(run.mode).toBe(runs === 0 ? 'rebuild' : 'incremental');
      runs++;
    }
    await insertEventRows(store, moved);
    const last = await runAnalytics(store, { settleMs: 0 });
    expect(last.mode).toBe('incremental');
    // The last run refreshed the moved studies, not everything.
    expect(last.studies).toBeLessThan(received.length / 2);
    const incremental = await snapshot();

    const rebuild = await runAnalytics(store, { rebuildCases: true, settleMs: 0 });
    expect(rebuild.mode).toBe('rebuild');
    const rebuilt = await snapshot();
    for (const table of Object.keys(RESULTS)) {
      expect(rebuilt[table]!.length, table).toBeGreaterThan(0);
      expect(incremental[table], `${table} (seed ${seed})`).toEqual(rebuilt[table]);
    }
    // The moved studies sit in their new week only.
    const keys = [...new Set(moved.map((m) => String(m.study_key)))];
    const weeks = await store.query<{ study_key: string; weeks: number }>(
      'SELECT study_key, uniqExact(week) AS weeks FROM study_cases FINAL WHERE study_key IN {keys:Array(String)} GROUP BY study_key',
      { keys },
    );
    expect(weeks.every((w) => Number(w.weeks) === 1)).toBe(true);
    // The drift monitors resumed from checkpoints in the incremental runs, and the alarm is there.
    const alarms = await store.query<{ hospital: string; metric: string }>("SELECT hospital, metric FROM drift FINAL WHERE status = 'alarm' AND metric = 'sensitivity'");
    expect(alarms.map((a) => a.hospital)).toEqual(['gelre']);
  }, 300_000);

  it('give every row one rebuild gives with the weeks arriving in order, verdicts and reports weeks late, and the monitors resuming from their checkpoints', async () => {
    const seed = process.env.AIFI_TEST_SEED ?? String(Date.now() % 100_000);
    console.log(`incremental in order: seed ${seed}`);
    await emptyStore(store);
    const random = new Random(seed);
    const backfill = new Backfill({ scenario: { ...loadScenario('drift'), volume_factor: 0.5 }, seed: 'in-order', weeks: 10, makeEvent: makeTrustedEvent });
    // A third of each week's verdicts and of its reports arrive two weeks later (a late report is for a study no
    // other event of its run refreshes: its cells are found through the index); the first five weeks come at once.
    const late = new Map<number, Row[]>();
    let week = 0;
    let runs = 0;
    let batch: Row[] = [];
    for (const w of backfill.weeks()) {
      for (const row of w.events.map(eventToRow)) {
        if ((row.type === 'verdict.recorded' || row.type === 'report.signed') && random.next() < 1 / 3) (late.get(week + 2) ?? late.set(week + 2, []).get(week + 2)!).push(row);
        else batch.push(row);
      }
      batch.push(...(late.get(week) ?? []));
      week++;
      if (week < 5) continue;
      await insertEventRows(store, batch);
      batch = [];
      // Each run as from cron, a new process: the charts of the references it touches come from drift_charts or are made.
      forgetCharts();
      const run = await runAnalytics(store, { settleMs: 0 });
      expect(run.mode).toBe(runs === 0 ? 'rebuild' : 'incremental');
      runs++;
    }
    await insertEventRows(store, [...late.entries()].filter(([w]) => w >= week).flatMap(([, rows]) => rows));
    await runAnalytics(store, { settleMs: 0 });
    // The later runs went on from checkpoints: some of the label-free and rate checkpoints kept are of an earlier run.
    for (const table of ['drift_label_free_checkpoints', 'drift_checkpoints']) {
      const [{ runs: kept }] = (await store.query<{ runs: number }>(`SELECT uniqExact(computed_at) AS runs FROM ${table} FINAL`)) as [{ runs: number }];
      expect(Number(kept), table).toBeGreaterThan(1);
    }
    const incremental = await snapshot();
    // The kept charts are those chartsOf makes, and some were kept from earlier runs (not made again).
    const charts = await chartsAreMade();
    expect(new Set(charts.map((c) => c.computed_at)).size).toBeGreaterThan(1);
    expect(charts.some((c) => c.figures !== '')).toBe(true);
    // A rebuild in a new process with the kept charts emptied: the drift rows it makes from nothing are those of the runs that read them.
    await store.exec('TRUNCATE TABLE drift_charts');
    await runAnalytics(store, { rebuildCases: true, settleMs: 0 });
    const rebuilt = await snapshot();
    for (const table of Object.keys(RESULTS)) {
      expect(rebuilt[table]!.length, table).toBeGreaterThan(0);
      expect(incremental[table], `${table} (seed ${seed})`).toEqual(rebuilt[table]);
    }
    // The rebuild kept a row for every reference the incremental runs had kept (each with the same key).
    const again = await chartRows();
    expect(again.map((c) => [c.slot, c.key])).toEqual(charts.map((c) => [c.slot, c.key]));
  }, 300_000);

  it('keep the drift charts of each reference by its counts and settings: a changed setting makes new charts', async () => {
    await emptyStore(store);
    forgetCharts();
    const backfill = new Backfill({ scenario: { ...loadScenario('drift'), volume_factor: 0.5 }, seed: 'charts', weeks: 10, makeEvent: makeTrustedEvent });
    for (const week of backfill.weeks()) await insertEventRows(store, week.events.map(eventToRow));
    await runAnalytics(store, { jobs: ['performance', 'drift'], settleMs: 0 });
    const first = await chartsAreMade();
    expect(first.length).toBeGreaterThan(0);
    const drift = () => store.query<Row>("SELECT * EXCEPT (computed_at, is_deleted) FROM drift FINAL WHERE metric IN ('sensitivity', 'specificity') ORDER BY hospital, product, model_version, metric");
    const before = await drift();
    // A new process, the same settings: the charts are read, none made or written again, the rows the same.
    forgetCharts();
    const same = await runAnalytics(store, { jobs: ['performance', 'drift'], settleMs: 0, rebuild: true });
    expect(same.steps.map((s) => `${s.step} ${s.mode}`)).toContain('drift rebuild');
    expect((await chartRows()).map((c) => [c.slot, c.key, c.computed_at])).toEqual(first.map((c) => [c.slot, c.key, c.computed_at]));
    expect(await drift()).toEqual(before);
    // Another split of the false-alarm rate between the charts: every reference gets new charts (the key holds shiftShares).
    const shiftShares = [0.5, 0.5];
    expect(DEFAULT_SETTINGS.shiftShares).not.toEqual(shiftShares);
    forgetCharts();
    const changed = await runAnalytics(store, { jobs: ['performance', 'drift'], settleMs: 0, settings: { shiftShares } });
    expect(changed.steps.map((s) => `${s.step} ${s.mode}`)).toContain('drift rebuild');
    const after = await chartsAreMade();
    expect(after.map((c) => c.slot)).toEqual(first.map((c) => c.slot));
    for (const [i, c] of after.entries()) {
      expect(c.key, c.slot).not.toEqual(first[i]!.key);
      expect(JSON.parse(c.key)[7]).toEqual(shiftShares);
    }
    const thresholds = (rows: Row[]) => rows.filter((r) => r.status !== 'insufficient-data').map((r) => r.arl_days);
    expect(thresholds(await drift())).not.toEqual(thresholds(before));
  }, 300_000);

  it('leave turnaround and cost alone when only verdicts arrive, and recompute the cells of the jobs that read them', async () => {
    await emptyStore(store);
    const backfill = new Backfill({ scenario: loadScenario('stable'), seed: 'verdicts-late', weeks: 2, makeEvent: makeTrustedEvent });
    const verdicts: Row[] = [];
    for (const week of backfill.weeks()) {
      const rows = week.events.map(eventToRow);
      verdicts.push(...rows.filter((r) => r.type === 'verdict.recorded'));
      await insertEventRows(store, rows.filter((r) => r.type !== 'verdict.recorded'));
    }
    expect(verdicts.length).toBeGreaterThan(50);
    const jobs: ('adoption' | 'turnaround' | 'cost')[] = ['adoption', 'turnaround', 'cost'];
    await runAnalytics(store, { jobs, settleMs: 0 });
    // Every version of every row, tombstones included: a recomputed cell adds rows.
    const versions = async () =>
      Object.fromEntries(
        await Promise.all(['turnaround_weekly', 'turnaround', 'data_quality_weekly', 'cost_cells', 'adoption_weekly'].map(async (t) => [t, Number((await store.query<{ n: number }>(`SELECT count() AS n FROM ${t}`))[0]!.n)])),
      ) as Record<string, number>;
    const before = await versions();
    await insertEventRows(store, verdicts);
    let run!: Awaited<ReturnType<typeof runAnalytics>>;
    const written = await writesOf(async () => (run = await runAnalytics(store, { jobs, settleMs: 0 })));
    // Their statements are not even sent; adoption's are.
    for (const t of ['turnaround_weekly', 'turnaround', 'data_quality_weekly', 'turnaround_norms', 'cost_cells']) expect(written, t).not.toContain(t);
    expect(written).toContain('adoption_weekly');
    expect(written).toContain('cost_monthly');
    expect(run.mode).toBe('incremental');
    expect(run.studies).toBe(new Set(verdicts.map((v) => `${v.hospital}|${v.study_key}`)).size);
    const after = await versions();
    for (const t of ['turnaround_weekly', 'turnaround', 'data_quality_weekly', 'cost_cells']) expect(after[t], t).toBe(before[t]);
    expect(after.adoption_weekly).toBeGreaterThan(before.adoption_weekly!);
    const [{ n }] = (await store.query<{ n: number }>('SELECT sum(verdicts) AS n FROM adoption_weekly FINAL')) as [{ n: number }];
    expect(Number(n)).toBe(Number((await store.query<{ n: number }>('SELECT count() AS n FROM study_cases FINAL WHERE verdict_at IS NOT NULL'))[0]!.n));
    expect(Number(n)).toBeGreaterThan(0);
  }, 120_000);

  it('count nothing twice and rebuild when the settings change', async () => {
    await emptyStore(store);
    const backfill = new Backfill({ scenario: loadScenario('stable'), seed: 'settings', weeks: 3, makeEvent: makeTrustedEvent });
    for (const week of backfill.weeks()) await insertEventRows(store, week.events.map(eventToRow));
    await runAnalytics(store, { jobs: ['turnaround'] });
    let again!: Awaited<ReturnType<typeof runAnalytics>>;
    // Nothing new: the touched studies sought (dirty_studies emptied, then filled with none), no cell marked, nothing
    // of turnaround written, only where the run got to.
    expect(await writesOf(async () => (again = await runAnalytics(store, { jobs: ['turnaround'] })))).toEqual(['dirty_studies', 'dirty_studies', 'analytics_state']);
    expect(again.mode).toBe('incremental');
    const before = await store.query<{ total: number; late: number }>('SELECT sum(n) AS total, total - sum(within) AS late FROM turnaround_weekly FINAL');
    const routed = await store.query<{ n: number }>("SELECT count() AS n FROM study_product_lifecycle WHERE routing_outcome = 'routed' AND completed_at IS NOT NULL");
    expect(Number(before[0]!.total)).toBe(Number(routed[0]!.n));
    // A stricter norm for every product: the next run sees other settings and rebuilds the results (the
    // per-study rows hold no setting and go on incrementally), and more studies are late.
    const strict = { norms: { bonexpert: { acute: 1, routine: 1 }, rbfracture: { acute: 1, routine: 1 }, 'cina-ipe': { acute: 1, routine: 1 } } };
    const changed = await runAnalytics(store, { jobs: ['turnaround'], settings: strict });
    expect(changed.steps.map((s) => `${s.step} ${s.mode}`)).toEqual(['cases incremental', 'turnaround rebuild']);
    const after = await store.query<{ total: number; late: number }>('SELECT sum(n) AS total, total - sum(within) AS late FROM turnaround_weekly FINAL');
    expect(Number(after[0]!.total)).toBe(Number(before[0]!.total));
    expect(Number(after[0]!.late)).toBeGreaterThan(Number(before[0]!.late));
  }, 120_000);
});
