import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalytics } from '../analytics/index.ts';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { makeTrustedEvent, type AifiEvent } from '../events/index.ts';
import { PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { Backfill, loadScenario } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore } from '../testing/index.ts';
import { dashboards, panelData } from './index.ts';

// One X-ray room at Gelre whose modality clock runs 45 minutes fast.
const HOSPITAL = 'gelre';
const DEVICE = { manufacturer: 'Carestream', device_model: 'Carestream DR 500' };
const FAST_MS = 45 * 60_000;
const HOSPITALS = PILOT_HOSPITALS.hospitals.map((h) => h.id);
const RANGE = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') };

let store: EmbeddedStore;
let close: () => Promise<void>;
const fastStudies = new Set<string>();
// And one device elsewhere whose clock is 9 days slow: its times to result are implausibly long (over the 7-day bound).
const SLOW_MS = 9 * 86_400_000;
let slow: { hospital: string; manufacturer: string; device_model: string } | null = null;
const slowStudies = new Set<string>();
/** The fast device's studies whose stamped acquisition comes after their receipt: impossible on their face. */
const afterReceipt = new Set<string>();

const onFastDevice = (e: AifiEvent) => e.type === 'study.received' && e.hospital === HOSPITAL && e.manufacturer === DEVICE.manufacturer && e.device_model === DEVICE.device_model;

beforeAll(async () => {
  ({ store, close } = await migratedStore('data-quality'));
  const backfill = new Backfill({ scenario: loadScenario('stable'), seed: 'data-quality', weeks: 4, makeEvent: makeTrustedEvent });
  for (const week of backfill.weeks()) {
    const events = week.events.map((e) => {
      if (e.type === 'study.received' && e.acquired_at && e.hospital !== HOSPITAL && e.manufacturer && e.device_model) {
        slow ??= { hospital: e.hospital, manufacturer: e.manufacturer, device_model: e.device_model };
        if (e.hospital === slow.hospital && e.manufacturer === slow.manufacturer && e.device_model === slow.device_model) {
          slowStudies.add(e.study_key);
          return { ...e, acquired_at: new Date(Date.parse(e.acquired_at) - SLOW_MS).toISOString() };
        }
      }
      if (!onFastDevice(e) || e.type !== 'study.received' || !e.acquired_at) return e;
      fastStudies.add(e.study_key);
      const acquired = Date.parse(e.acquired_at) + FAST_MS;
      if (acquired > Date.parse(e.occurred_at)) afterReceipt.add(e.study_key);
      return { ...e, acquired_at: new Date(acquired).toISOString() };
    });
    await insertEventRows(store, events.map(eventToRow));
  }
  await runAnalytics(store);
}, 180_000);
afterAll(() => close());

describe('the data quality of a modality whose clock runs 45 minutes fast', () => {
  it('excludes its studies from the time to result, counts them against that device, and estimates the offset within 5 minutes', async () => {
    expect(fastStudies.size).toBeGreaterThan(50);
    // A manual send can take longer than the clock is fast; every other study of the device comes before its receipt.
    expect(afterReceipt.size / fastStudies.size).toBeGreaterThan(0.9);
    // Exactly those studies are impossible, and no study of another device; none keeps a time to result.
    const impossible = await store.query<{ study_key: string; with_minutes: number }>('SELECT study_key, countIf(minutes IS NOT NULL) AS with_minutes FROM study_cases FINAL WHERE impossible = 1 GROUP BY study_key');
    const routed = new Set((await store.query<{ study_key: string }>('SELECT DISTINCT study_key FROM study_cases FINAL')).map((r) => r.study_key));
    expect(new Set(impossible.map((r) => r.study_key))).toEqual(new Set([...afterReceipt].filter((k) => routed.has(k))));
    expect(impossible.every((r) => Number(r.with_minutes) === 0)).toBe(true);
    // Turnaround counts them as excluded.
    const [counts] = await store.query<{ results: number; excluded: number }>(
      'SELECT (SELECT count() FROM study_cases FINAL WHERE impossible = 1 AND completed_at IS NOT NULL) AS results, (SELECT sum(excluded) FROM turnaround_weekly FINAL) AS excluded',
    );
    const results = Number(counts!.results);
    expect(results).toBeGreaterThan(50);
    expect(Number(counts!.excluded)).toBe(results);

    // The data-quality panel attributes them to that device at that hospital, and only to it.
    const d = dashboards({ hospitals: HOSPITALS }).find((x) => x.uid === 'aifi-turnaround')!;
    const spec = d.panels.find((p) => p.title === 'Data quality per hospital and device')!;
    const data = await panelData(store, spec, { ...RANGE, hospitals: HOSPITALS, products: d.products }, null);
    if (data.kind !== 'table') throw new Error('the data-quality panel is a table');
    const rows = data.rows.map((r) => Object.fromEntries(data.columns.map((col, i) => [col, r[i]])));
    const [worst, ...others] = rows;
    const isSlow = (r: Record<string, unknown>) => r.hospital === slow!.hospital && r.manufacturer === slow!.manufacturer && r.device_model === slow!.device_model;
    const rest = others.filter((r) => !isSlow(r));
    expect(worst).toMatchObject({ hospital: HOSPITAL, ...DEVICE, impossible: results, implausible: 0 });
    for (const row of rest) expect(row.implausible, `${row.hospital} ${row.device_model}`).toBe(0);
    expect(Number(worst!.impossible_share)).toBeGreaterThan(0.9);
    for (const row of rest) expect(row.impossible, `${row.hospital} ${row.device_model}`).toBe(0);
    expect(Math.abs(Number(worst!.clock_offset_min) - 45)).toBeLessThanOrEqual(5);
    for (const row of rest) expect(Math.abs(Number(row.clock_offset_min)), `${row.hospital} ${row.device_model}`).toBeLessThanOrEqual(2);

    // The time to result of that hospital is what its other devices measured, not shortened by 45 minutes.
    const perWeek = d.panels.find((p) => p.title === 'Time to result against the norm')!;
    const table = await panelData(store, perWeek, { ...RANGE, hospitals: [HOSPITAL], products: d.products }, null);
    if (table.kind !== 'table') throw new Error('a table');
    const at = table.columns.indexOf('excluded');
    expect(table.rows.reduce((n, r) => n + Number(r[at]), 0)).toBe(results);
  });

  it('leaves times to result beyond the configured bound out of turnaround, counted beside it and against the device', async () => {
    expect(slow).not.toBeNull();
    const slowKeys = [...slowStudies];
    const [truth] = await store.query<{ results: number; beyond: number; longest_other: number }>(
      `SELECT countIf(study_key IN {keys:Array(String)}) AS results, countIf(minutes > 7 * 24 * 60) AS beyond, maxIf(minutes, study_key NOT IN {keys:Array(String)}) AS longest_other
       FROM study_cases FINAL WHERE completed_at IS NOT NULL AND minutes IS NOT NULL`,
      { keys: slowKeys },
    );
    expect(Number(truth!.results)).toBeGreaterThan(20);
    // Every result of the slow device, and only those, is over the bound.
    expect(Number(truth!.beyond)).toBe(Number(truth!.results));
    expect(Number(truth!.longest_other)).toBeLessThan(7 * 24 * 60);
    const sums = () =>
      store.query<{ implausible: number; n: number; total_implausible: number; dq_implausible: number }>(
        `SELECT (SELECT sum(implausible) FROM turnaround_weekly FINAL) AS implausible, (SELECT sum(n) FROM turnaround_weekly FINAL) AS n,
                (SELECT sum(implausible) FROM turnaround FINAL) AS total_implausible,
                (SELECT sumIf(implausible, hospital = {h:String} AND manufacturer = {m:String} AND device_model = {d:String}) FROM data_quality_weekly FINAL) AS dq_implausible`,
        { h: slow!.hospital, m: slow!.manufacturer, d: slow!.device_model },
      );
    const [counted] = await sums();
    expect(Number(counted!.implausible)).toBe(Number(truth!.results));
    expect(Number(counted!.total_implausible)).toBe(Number(truth!.results));
    expect(Number(counted!.dq_implausible)).toBe(Number(truth!.results));
    // The turnaround panel counts them too, and its p95 stays under the bound.
    const d = dashboards({ hospitals: HOSPITALS }).find((x) => x.uid === 'aifi-turnaround')!;
    const perProduct = d.panels.find((p) => p.title === 'Time to result against the norm')!;
    const table = await panelData(store, perProduct, { ...RANGE, hospitals: [slow!.hospital], products: d.products }, null);
    if (table.kind !== 'table') throw new Error('a table');
    const col = (name: string) => table.columns.indexOf(name);
    expect(table.rows.reduce((n, r) => n + Number(r[col('implausible')]), 0)).toBe(Number(truth!.results));
    for (const r of table.rows) expect(Number(r[col('p95_min')])).toBeLessThan(7 * 24 * 60);

    // A bound of 20 days counts them as measured: the results are rebuilt with the new setting.
    const run = await runAnalytics(store, { jobs: ['turnaround'], settings: { implausibleMinutes: 20 * 24 * 60 } });
    expect(run.steps.find((s) => s.step === 'turnaround')?.mode).toBe('rebuild');
    const [wider] = await sums();
    expect(Number(wider!.implausible)).toBe(0);
    expect(Number(wider!.dq_implausible)).toBe(0);
    expect(Number(wider!.n)).toBe(Number(counted!.n) + Number(truth!.results));
    await runAnalytics(store, { jobs: ['turnaround'] });
  });
});
