import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalytics } from '../analytics/index.ts';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { makeTrustedEvent, PRODUCT_IDS } from '../events/index.ts';
import { contractedProducts, PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { Backfill, loadScenario } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore } from '../testing/index.ts';
import { dashboards, panelData, SERIES_LIMITS } from './index.ts';

// The pilot's five hospitals, each copied 14 times under another name: 70 hospitals, as in the national network.
const COPIES = 14;
const uuid = (text: string) => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

let store: EmbeddedStore;
let close: () => Promise<void>;
const hospitals = new Set<string>();

beforeAll(async () => {
  ({ store, close } = await migratedStore('dashboards-scale'));
  const backfill = new Backfill({ scenario: { ...loadScenario('stable'), volume_factor: 0.1 }, seed: 'scale', weeks: 6, makeEvent: makeTrustedEvent });
  for (const week of backfill.weeks()) {
    const rows = week.events.map(eventToRow);
    const copies = [];
    for (let k = 0; k < COPIES; k++) {
      for (const row of rows) {
        const hospital = `${row.hospital}-${k}`;
        hospitals.add(hospital);
        copies.push({ ...row, hospital, event_id: uuid(`${row.event_id}/${k}`) });
      }
    }
    await insertEventRows(store, copies);
  }
  await runAnalytics(store);
}, 300_000);
afterAll(() => close());

describe('every panel at 70 hospitals', () => {
  it(`draws at most ${SERIES_LIMITS.timeseries} lines per chart and at most ${SERIES_LIMITS.tableRows} rows and ${SERIES_LIMITS.tableColumns} columns per table, for the network and for one hospital`, async () => {
    expect(hospitals.size).toBe(70);
    const all = [...hospitals].sort();
    const query = (chosen: string[]) => ({ from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-12T12:00:00Z'), hospitals: chosen, products: [...PRODUCT_IDS] });
    let checked = 0;
    for (const d of dashboards({ hospitals: all, products: contractedProducts(PILOT_HOSPITALS) })) {
      for (const spec of d.panels) {
        for (const chosen of [all, [all[0]!]]) {
          const data = await panelData(store, spec, { ...query(chosen), products: d.products }, null);
          const what = `${d.uid}: ${spec.title} (${chosen.length} hospitals)`;
          if (data.kind === 'timeseries') {
            const lines = new Set(data.series.filter((s) => s.values.some((v) => v !== null)).map((s) => s.label));
            expect(lines.size, what).toBeGreaterThan(0);
            if (spec.smallMultiples) {
              // A small chart per label; a label of dashed columns only (the target) is drawn in each.
              const shared = new Set([...lines].filter((l) => data.series.every((s) => s.label !== l || data.dashed.includes(s.field))));
              expect(data.smallMultiples, what).toBe(true);
              expect(lines.size - shared.size, what).toBeLessThanOrEqual(SERIES_LIMITS.smallMultiples);
              expect(1 + shared.size, what).toBeLessThanOrEqual(SERIES_LIMITS.timeseries);
            } else {
              expect(lines.size, what).toBeLessThanOrEqual(SERIES_LIMITS.timeseries);
            }
          } else {
            expect(data.rows.length, what).toBeLessThanOrEqual(SERIES_LIMITS.tableRows);
            expect(data.columns.length, what).toBeLessThanOrEqual(SERIES_LIMITS.tableColumns);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('shows every hospital in the heat maps, one row each', async () => {
    const all = [...hospitals].sort();
    for (const d of dashboards({ hospitals: all, products: contractedProducts(PILOT_HOSPITALS) })) {
      for (const spec of d.panels.filter((p) => p.heatmap)) {
        const data = await panelData(store, spec, { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z'), hospitals: all, products: d.products }, null);
        expect(data.kind === 'table' && data.rows.map((r) => r[0]), `${d.uid}: ${spec.title}`).toEqual(all);
      }
    }
  });
});
