import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { makeTrustedEvent, type AifiEvent } from '../events/index.ts';
import { Backfill, loadScenario, TRUE_REPORT_EFFECT_MIN } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { loadSimulation, migratedStore } from '../testing/index.ts';
import { MAX_REPORT_MINUTES } from './benefit.ts';
import { histogramOf, hodgesLehmann } from './hodges-lehmann.ts';
import { readReport, runAnalytics } from './index.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;
const events: AifiEvent[] = [];
const SEED = 'benefit-7';

beforeAll(async () => {
  ({ store, close } = await migratedStore('benefit'));
  const backfill = new Backfill({ scenario: loadScenario('stable'), seed: SEED, weeks: 5, makeEvent: makeTrustedEvent });
  for (const week of backfill.weeks()) {
    events.push(...week.events);
    await insertEventRows(store, week.events.map(eventToRow));
  }
  await runAnalytics(store, { settleMs: 0 });
}, 300_000);
afterAll(() => close());

/** The viewed-before-signing comparison per hospital x product, computed from the events themselves, not through the store. */
function fromEvents() {
  const studies = new Map<string, { hospital: string; start: number; accession?: string }>();
  const routed: { study: string; product: string }[] = [];
  const firstView = new Map<string, number>();
  const live = new Map<string, number>();
  const finals = new Map<string, number>();
  const earliest = (m: Map<string, number>, k: string, t: number) => m.set(k, Math.min(m.get(k) ?? Infinity, t));
  for (const e of events) {
    const t = Date.parse(e.occurred_at);
    if (e.type === 'study.received') studies.set(e.study_key, { hospital: e.hospital, start: Date.parse(e.acquired_at ?? e.occurred_at), accession: e.accession_key });
    if (e.type === 'study.routed' && e.outcome === 'routed') routed.push({ study: e.study_key, product: e.product });
    if (e.type === 'result.viewed') {
      earliest(firstView, `${e.study_key}|${e.product}`, t);
      earliest(live, `${e.hospital}|${e.product}`, t);
    }
    if (e.type === 'result.delivered' && e.acknowledged) earliest(live, `${e.hospital}|${e.product}`, t);
    if (e.type === 'report.signed' && e.status === 'final') earliest(finals, `${e.hospital}|${e.accession_key}`, t);
  }
  const arms = new Map<string, { a: number[]; b: number[] }>();
  for (const r of routed) {
    const s = studies.get(r.study)!;
    const final = finals.get(`${s.hospital}|${s.accession}`);
    if (final === undefined || final < s.start || final - s.start > MAX_REPORT_MINUTES * 60_000) continue;
    if (!(s.start >= (live.get(`${s.hospital}|${r.product}`) ?? Infinity))) continue;
    const key = `${s.hospital}|${r.product}`;
    if (!arms.has(key)) arms.set(key, { a: [], b: [] });
    const viewedBefore = (firstView.get(`${r.study}|${r.product}`) ?? Infinity) < final;
    arms.get(key)![viewedBefore ? 'a' : 'b'].push(Math.floor((final - s.start) / 60_000));
  }
  return arms;
}

describe('measured benefit on a simulated pilot with a known effect per product', () => {
  it('counts and estimates what the events say: the join by accession, the arms and the minutes', async () => {
    const expected = fromEvents();
    const rows = await store.query<{ hospital: string; product: string; n_a: number; n_b: number; difference_min: number | null; ci_low_min: number | null; ci_high_min: number | null }>(
      "SELECT hospital, product, n_a, n_b, difference_min, ci_low_min, ci_high_min FROM benefit FINAL WHERE comparison = 'viewed' AND urgency = '' ORDER BY hospital, product",
    );
    expect(rows.length).toBe(15);
    for (const row of rows) {
      const arms = expected.get(`${row.hospital}|${row.product}`) ?? { a: [], b: [] };
      const e = hodgesLehmann(histogramOf(arms.a), histogramOf(arms.b));
      expect({ n_a: Number(row.n_a), n_b: Number(row.n_b), d: row.difference_min, lo: row.ci_low_min, hi: row.ci_high_min }, `${row.hospital} ${row.product}`).toEqual({
        n_a: e.n_a,
        n_b: e.n_b,
        d: e.difference,
        lo: e.ci_low,
        hi: e.ci_high,
      });
    }
  });

  it('recovers the true effect of each product within most intervals, and shows the counts and the case mix', async () => {
    const rows = await store.query<{ hospital: string; product: string; urgency: string; ci_low_min: number; ci_high_min: number; n_a: number; n_b: number; modality_mix_a: string; age_mix_b: string }>(
      "SELECT hospital, product, urgency, ci_low_min, ci_high_min, n_a, n_b, modality_mix_a, age_mix_b FROM benefit FINAL WHERE comparison = 'viewed' AND urgency != '' AND ci_low_min IS NOT NULL",
    );
    let covered = 0;
    for (const r of rows) if (r.ci_low_min <= TRUE_REPORT_EFFECT_MIN[r.product as 'bonexpert']! && TRUE_REPORT_EFFECT_MIN[r.product as 'bonexpert']! <= r.ci_high_min) covered++;
    console.log(`benefit (seed ${SEED}): the true effect lies within ${covered} of ${rows.length} intervals (hospital x product x urgency)`);
    expect(rows.length).toBeGreaterThanOrEqual(15);
    expect(covered / rows.length).toBeGreaterThanOrEqual(0.8);
    const fracture = rows.find((r) => r.product === 'rbfracture')!;
    expect(fracture.modality_mix_a).toMatch(/^(CR|DX) \d+ % · (CR|DX) \d+ %$/);
    // Go-live: every pilot hospital was live from the start, so there is no "before" to compare with, and the row says so.
    const live = await store.query<{ n_b: number; difference_min: number | null }>("SELECT n_b, difference_min FROM benefit FINAL WHERE comparison = 'go_live'");
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((r) => r.difference_min === null || Number(r.n_b) > 0)).toBe(true);
  });

  it("compares the report's coded finding with the AI's, and reports the benefit to project leads only", async () => {
    const agreement = await store.query<{ product: string; coded: number; agreement: number; ci_low: number; ci_high: number }>('SELECT product, coded, agreement, ci_low, ci_high FROM report_agreement FINAL');
    expect(new Set(agreement.map((a) => a.product))).toEqual(new Set(['rbfracture', 'cina-ipe']));
    // The simulated RIS codes the true finding: agreement is the AI's accuracy, sensitivity x prevalence + specificity x (1 - prevalence).
    const accuracy = { rbfracture: 0.92 * 0.3 + 0.88 * 0.7, 'cina-ipe': 0.9 * 0.03 + 0.95 * 0.97 } as Record<string, number>;
    const inside = agreement.filter((a) => a.ci_low <= accuracy[a.product]! && accuracy[a.product]! <= a.ci_high).length;
    expect(inside / agreement.length).toBeGreaterThanOrEqual(0.8);
    const lead = await readReport(store, 'lead');
    expect(lead.benefit.length).toBeGreaterThan(30);
    expect(lead.report_agreement.length).toBe(agreement.length);
    const vendor = await readReport(store, 'vendor:visiana');
    expect(vendor.benefit).toEqual([]);
  });

  it('compares before and after go-live where a product ran unseen first, and sets apart the studies of the shadow weeks', async () => {
    await loadSimulation(store, loadScenario('go-live'), SEED, 6);
    await runAnalytics(store, { settleMs: 0, rebuild: true });
    type Row = { hospital: string; product: string; comparison: string; n_a: number; n_b: number; ci_low_min: number | null; ci_high_min: number | null };
    const rows = await store.query<Row>("SELECT hospital, product, comparison, n_a, n_b, ci_low_min, ci_high_min FROM benefit FINAL WHERE urgency = '' AND product != 'cina-ipe'");
    const row = (h: string, p: string, c: string) => rows.find((r) => r.hospital === h && r.product === p && r.comparison === c)!;
    let covered = 0;
    for (const hospital of ['catharina', 'radboudumc']) {
      for (const product of ['bonexpert', 'rbfracture'] as const) {
        const live = row(hospital, product, 'go_live');
        const viewed = row(hospital, product, 'viewed');
        // Three shadow weeks before, three live weeks after; the viewed comparison counts only the live weeks.
        expect(Number(live.n_b), `${hospital} ${product}`).toBeGreaterThan(Number(live.n_a) / 3);
        expect(Number(viewed.n_a) + Number(viewed.n_b), `${hospital} ${product}`).toBe(Number(live.n_a));
        // After go-live the effect is the product's, for the share of studies viewed.
        const expected = TRUE_REPORT_EFFECT_MIN[product]! * (Number(viewed.n_a) / Number(live.n_a));
        if (live.ci_low_min! <= expected && expected <= live.ci_high_min!) covered++;
      }
    }
    expect(covered).toBeGreaterThanOrEqual(3);
    // Elsewhere the products were live from the start: at most the few studies acquired before the first result came are "before".
    for (const r of rows.filter((x) => x.comparison === 'go_live' && !['catharina', 'radboudumc'].includes(x.hospital))) expect(Number(r.n_b), `${r.hospital} ${r.product}`).toBeLessThanOrEqual(5);
  }, 300_000);
});
