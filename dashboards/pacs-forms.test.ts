import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRow } from '../collector/index.ts';
import { makeEvent, PRODUCT_IDS } from '../events/index.ts';
import { contractedProducts, PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { join } from 'node:path';
import { EmbeddedStore, loadMigrations, migrate } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { dashboards, expandMacros } from './index.ts';

const HOSPITALS = PILOT_HOSPITALS.hospitals.map((h) => h.id);
const key = (n: number) => n.toString(16).padStart(64, '0');

const dir = tempDir('pacs-forms');
const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
const table = () => {
  const adoption = dashboards({ hospitals: HOSPITALS, products: contractedProducts(PILOT_HOSPITALS) }).find((d) => d.uid === 'aifi-adoption')!;
  return adoption.panels.find((p) => p.title === 'What each PACS received')!.sql;
};
const rowsOf = async (sql: string) => {
  const expanded = expandMacros(sql, { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z'), variables: { hospital: HOSPITALS, product: [...PRODUCT_IDS] } });
  return (JSON.parse(await store.queryText(expanded, 'JSON')) as { data: Record<string, unknown>[] }).data;
};
const at = (minute: number) => new Date(Date.UTC(2026, 0, 10, 8, minute)).toISOString();
const common = (n: number, hospital: string) => ({ hospital, source: 'orchestrator', study_key: key(n), product: 'rbfracture' as const, delivery_ms: 400 });
// A delivery to gelre's PACS after the table existed, refused with 0xA900: its latest refusal.
const later = makeEvent('result.delivered', {
  ...common(6, 'gelre'), occurred_at: at(6), channel: 'dicom-sc', acknowledged: false, reason: 'sc: refused', pacs_via: 'c-store', forms: [{ form: 'sc', acknowledged: false, status: 0xa900, reason: 'refused' }],
});
// One outside the range: not counted.
const outside = makeEvent('result.delivered', {
  ...common(7, 'gelre'), occurred_at: '2026-02-01T00:00:01.000Z', channel: 'dicom-sc', acknowledged: false, pacs_via: 'c-store', forms: [{ form: 'sc', acknowledged: false, status: 0xa700 }],
});

beforeAll(async () => {
  // The first events are stored before the table of forms existed: the migration fills it from them.
  await migrate(store, loadMigrations().filter((m) => m.version < 19));
  const events = [
    // catharina: SR and KO by STOW-RS, the KO of the second study refused by the PACS
    makeEvent('result.delivered', { ...common(1, 'catharina'), occurred_at: at(1), channel: 'dicom-sr', acknowledged: true, pacs_via: 'stow', forms: [{ form: 'sr', acknowledged: true, status: 0 }, { form: 'ko', acknowledged: true, status: 0 }] }),
    makeEvent('result.delivered', { ...common(2, 'catharina'), occurred_at: at(2), channel: 'dicom-sr', acknowledged: false, reason: 'ko: refused', pacs_via: 'stow', forms: [{ form: 'sr', acknowledged: true, status: 0 }, { form: 'ko', acknowledged: false, status: 0xa700, reason: 'refused' }] }),
    // gelre: the Secondary Capture by C-STORE, stored with a warning
    makeEvent('result.delivered', { ...common(3, 'gelre'), occurred_at: at(3), channel: 'dicom-sc', acknowledged: true, pacs_via: 'c-store', forms: [{ form: 'sc', acknowledged: true, status: 0xb000 }] }),
    // zgt: an event from before results had forms counts as the form of its channel; delivery off is not a delivery
    makeEvent('result.delivered', { ...common(4, 'zgt'), occurred_at: at(4), channel: 'dicom-sr', acknowledged: true }),
    makeEvent('result.delivered', { ...common(5, 'zgt'), occurred_at: at(5), channel: 'none', acknowledged: false, reason: 'delivery is off', delivery_ms: 0 }),
  ];
  await store.insert('events', events.map(eventToRow));
  await migrate(store);
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

describe('the table of what each PACS received', () => {
  it('shows per hospital and product how the PACS was reached, each form sent and acknowledged, and the status of the latest refusal', async () => {
    expect(await rowsOf(table())).toEqual([
      { hospital: 'catharina', product: 'rbfracture', via: 'stow', sr_sent: 2, sr_acknowledged: 2, sc_sent: 0, sc_acknowledged: 0, ko_sent: 2, ko_acknowledged: 1, unacknowledged: 1, last_refusal_status: 0xa700 },
      { hospital: 'gelre', product: 'rbfracture', via: 'c-store', sr_sent: 0, sr_acknowledged: 0, sc_sent: 1, sc_acknowledged: 1, ko_sent: 0, ko_acknowledged: 0, unacknowledged: 0, last_refusal_status: null },
      { hospital: 'zgt', product: 'rbfracture', via: '', sr_sent: 1, sr_acknowledged: 1, sc_sent: 0, sc_acknowledged: 0, ko_sent: 0, ko_acknowledged: 0, unacknowledged: 0, last_refusal_status: null },
    ]);
  });

  it('counts a delivery stored after the table existed once, even inserted twice and not yet merged, and not one outside the range', async () => {
    await store.exec('SYSTEM STOP MERGES pacs_forms');
    try {
      await store.insert('events', [later, outside].map(eventToRow));
      // the collector's retry of the same insert: the same rows again, in a part of their own
      await store.insert('events', [later, outside].map(eventToRow));
      const gelre = { hospital: 'gelre', product: 'rbfracture', via: 'c-store', sr_sent: 0, sr_acknowledged: 0, sc_sent: 2, sc_acknowledged: 1, ko_sent: 0, ko_acknowledged: 0, unacknowledged: 1, last_refusal_status: 0xa900 };
      const rows = await rowsOf(table());
      expect(rows.find((r) => r.hospital === 'gelre')).toEqual(gelre);
      // as many unacknowledged as catharina: the hospitals in order
      expect(rows.map((r) => r.hospital)).toEqual(['catharina', 'gelre', 'zgt']);
      // read without FINAL, the unmerged copy would count twice
      const unmerged = await rowsOf(table().replace('FROM pacs_forms FINAL', 'FROM pacs_forms'));
      expect(unmerged.find((r) => r.hospital === 'gelre')).toMatchObject({ hospital: 'gelre', sc_sent: 3, unacknowledged: 2 });
    } finally {
      await store.exec('SYSTEM START MERGES pacs_forms');
    }
  });
});
