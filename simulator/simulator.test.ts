import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore, tempDir } from '../testing/index.ts';
import { Backfill, loadScenario, type Truth } from './index.ts';

function run(seed: string, weeks = 2, scenario = 'stable') {
  const backfill = new Backfill({ scenario: loadScenario(scenario), seed, weeks });
  const counts: Record<string, number> = {};
  const events = [];
  for (const week of backfill.weeks()) {
    for (const e of week.events) {
      counts[e.type] = (counts[e.type] ?? 0) + 1;
      events.push(e);
    }
  }
  return { counts, truth: backfill.truth.result(), events };
}

/** Wilson score interval at confidence z. */
function wilson(successes: number, n: number, z = 2.58): [number, number] {
  const p = successes / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [centre - half, centre + half];
}

describe('the simulated pilot', () => {
  it('is deterministic for a seed, down to the event ids, and differs between seeds', () => {
    const a = run('7');
    const b = run('7');
    const c = run('8');
    expect(a.counts).toEqual(b.counts);
    expect(a.truth).toEqual(b.truth);
    expect(a.events.map((e) => e.event_id)).toEqual(b.events.map((e) => e.event_id));
    expect(c.counts).not.toEqual(a.counts);
    expect(c.truth.rates).not.toEqual(a.truth.rates);
  });

  it('records the drift in its truth: from the onset, only the drifted hospital x product changes', () => {
    const { truth } = run('3', 12, 'drift');
    expect(truth.onsets).toEqual([
      { hospital: 'gelre', product: null, what: 'input_mix', to: 'Nordlys Imaging', at: '2026-03-02T00:00:00.000Z', ramp_weeks: 0 },
      { hospital: 'gelre', product: 'rbfracture', what: 'sensitivity', to: 0.72, at: '2026-03-02T00:00:00.000Z', ramp_weeks: 0 },
    ]);
    const sensitivity = (hospital: string, week: string) => truth.rates.find((r) => r.hospital === hospital && r.product === 'rbfracture' && r.week === week)!.sensitivity;
    expect(sensitivity('gelre', '2026-02-23')).toBeCloseTo(0.92);
    expect(sensitivity('gelre', '2026-03-02')).toBeCloseTo(0.72);
    expect(sensitivity('zgt', '2026-03-02')).toBeCloseTo(0.92);
  });

  it('names what is wrong in a scenario file', () => {
    const dir = tempDir('scenario');
    const path = join(dir.path, 'bad.json');
    writeFileSync(path, JSON.stringify({ name: 'bad', changes: [{ what: 'sensitivity', to: 0.5, start: 'soon' }, { what: 'mood', to: 1, start: '2026-01-01' }] }));
    expect(() => loadScenario(path)).toThrow(/invalid scenario file .*bad\.json:\n  changes\.0\.start: must be a date.*\n  changes\.1\.what/s);
    expect(() => loadScenario('no-such-scenario')).toThrow(/one of drift, go-live, national, outage, slow, stable, vendor-update/);
    dir.remove();
  });
});

describe('the simulated figures, computed from the store', () => {
  let store: EmbeddedStore;
  let close: () => Promise<void>;
  let truth: Truth;

  beforeAll(async () => {
    ({ store, close } = await migratedStore('sim-figures'));
    const result = run('11', 6);
    truth = result.truth;
    await insertEventRows(store, result.events.map(eventToRow));
  });
  afterAll(() => close());

  const sum = (rows: Truth['rates'], f: (r: Truth['rates'][number]) => number) => rows.reduce((s, r) => s + f(r), 0);

  it('match the scenario: sensitivity, specificity and positive rate of each binary product', async () => {
    const rows = await store.query<{ product: string; tp: number; fn: number; tn: number; fp: number; positives: number; n: number }>(
      `SELECT product,
              countIf(verdict_label = 'positive' AND finding = 'positive') AS tp,
              countIf(verdict_label = 'positive' AND finding = 'negative') AS fn,
              countIf(verdict_label = 'negative' AND finding = 'negative') AS tn,
              countIf(verdict_label = 'negative' AND finding = 'positive') AS fp,
              countIf(verdict_label = 'positive') AS positives,
              countIf(verdict_label != '') AS n
       FROM study_product_lifecycle WHERE product IN ('rbfracture', 'cina-ipe') GROUP BY product ORDER BY product`,
    );
    for (const r of rows) {
      const cells = truth.rates.filter((t) => t.product === r.product);
      const expectSens = sum(cells, (c) => c.sensitivity * c.positives) / sum(cells, (c) => c.positives);
      const expectSpec = sum(cells, (c) => c.specificity * c.negatives) / sum(cells, (c) => c.negatives);
      const prevalence = sum(cells, (c) => c.positives) / sum(cells, (c) => c.eligible);
      const [sLow, sHigh] = wilson(r.tp, r.tp + r.fn);
      const [pLow, pHigh] = wilson(r.tn, r.tn + r.fp);
      const [vLow, vHigh] = wilson(r.positives, r.n);
      expect(expectSens, `${r.product} sensitivity`).toBeGreaterThanOrEqual(sLow);
      expect(expectSens, `${r.product} sensitivity`).toBeLessThanOrEqual(sHigh);
      expect(expectSpec, `${r.product} specificity`).toBeGreaterThanOrEqual(pLow);
      expect(expectSpec, `${r.product} specificity`).toBeLessThanOrEqual(pHigh);
      expect(prevalence, `${r.product} positive rate`).toBeGreaterThanOrEqual(vLow);
      expect(prevalence, `${r.product} positive rate`).toBeLessThanOrEqual(vHigh);
    }
    expect(rows.map((r) => r.product)).toEqual(['cina-ipe', 'rbfracture']);
  });

  it('match the scenario: adoption per product, as in the pilot', async () => {
    const rows = await store.query<{ product: string; viewed: number; eligible: number }>(
      `SELECT product, countIf(first_viewed_at IS NOT NULL) AS viewed, countIf(routing_outcome = 'routed') AS eligible
       FROM study_product_lifecycle GROUP BY product ORDER BY product`,
    );
    for (const r of rows) {
      const cells = truth.rates.filter((t) => t.product === r.product);
      const expected = sum(cells, (c) => c.adoption * c.eligible) / sum(cells, (c) => c.eligible);
      const [low, high] = wilson(r.viewed, r.eligible, 3.3);
      expect(expected, r.product).toBeGreaterThanOrEqual(low);
      expect(expected, r.product).toBeLessThanOrEqual(high);
    }
    const rate = Object.fromEntries(rows.map((r) => [r.product, r.viewed / r.eligible]));
    expect(rate.bonexpert).toBeGreaterThan(0.9);
    expect(rate['cina-ipe']).toBeLessThan(0.15);
    expect(rate.rbfracture).toBeGreaterThan(0.6);
  });

  it('match the scenario: inference latency and bone-age error', async () => {
    const [latency] = await store.query<{ median: number }>("SELECT quantileExact(0.5)(inference_ms) AS median FROM events WHERE type = 'inference.completed' AND product = 'rbfracture'");
    expect(latency!.median / 90_000).toBeGreaterThan(0.93);
    expect(latency!.median / 90_000).toBeLessThan(1.07);
    const [bone] = await store.query<{ sd: number; mean: number; n: number }>(
      "SELECT stddevSamp(ai_value - verdict_value) AS sd, avg(ai_value - verdict_value) AS mean, count() AS n FROM study_product_lifecycle WHERE product = 'bonexpert' AND verdict_value IS NOT NULL",
    );
    // model error 0.6 y and reader error 0.3 y: the difference has sd sqrt(0.45) = 0.67 y.
    expect(bone!.sd).toBeGreaterThan(0.55);
    expect(bone!.sd).toBeLessThan(0.8);
    expect(Math.abs(bone!.mean)).toBeLessThan(3 * (0.67 / Math.sqrt(bone!.n)));
  });
});

describe('a hospital joining the pilot', () => {
  it('sends, from its week on, the studies of the hospital it is like, under its own id and AE titles', async () => {
    const { networkOf, studiesOfWeek, Timeline } = await import('./index.ts');
    const scenario = { ...loadScenario('stable'), joining: [{ id: 'hospital-6', like: 'gelre', from: '2026-01-19' }] };
    const network = networkOf(scenario);
    expect(network.workload.map((h) => h.id)).toEqual(['catharina', 'gelre', 'radboudumc', 'zgt', 'rivierenland', 'hospital-6']);
    const config = network.hospitals.hospitals.find((h) => h.id === 'hospital-6')!;
    expect(config.products).toEqual(network.hospitals.hospitals.find((h) => h.id === 'gelre')!.products);
    expect(Object.keys(config.aeTitles)).toEqual(['JOIN1_PACS1', 'JOIN1_PACS2']);
    const timeline = new Timeline(scenario);
    const count = (week: number, h: string) => studiesOfWeek(scenario, timeline, 's', week).filter((p) => p.hospital.id === h).length;
    expect(count(0, 'hospital-6')).toBe(0);
    expect(count(1, 'hospital-6')).toBe(0);
    expect(count(2, 'hospital-6')).toBeGreaterThan(400);
    // The others' studies are the same with or without it.
    const alone = loadScenario('stable');
    expect(studiesOfWeek(alone, new Timeline(alone), 's', 2).length).toBe(studiesOfWeek(scenario, timeline, 's', 2).length - count(2, 'hospital-6'));
    expect(() => networkOf({ ...scenario, joining: [{ id: 'x', like: 'nowhere' }] })).toThrow(/joining\.0\.like: no pilot hospital nowhere/);
  });
});
