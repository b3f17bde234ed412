import { describe, expect, it } from 'vitest';
import { makeEvent } from '../events/index.ts';
import { EmbeddedStore, loadMigrations, migrate } from '../store/index.ts';
import { sampleStudyEvents, tempDir } from '../testing/index.ts';
import { eventToRow } from './index.ts';

// Sample studies, each with the trace id its orchestrator span would give it.
const events = Array.from({ length: 50 }, (_, i) => sampleStudyEvents(i).map((e) => ({ ...e, trace_id: `${i}`.padStart(32, '0') }))).flat();
const rows = events.map(eventToRow);

describe('migration 0007 on a store that holds events', () => {
  it('makes the lifecycle anew with the same figures, and the new columns filled', async () => {
    const dir = tempDir('migrate-0007');
    const old = new EmbeddedStore({ path: `${dir.path}/clickhouse` });
    try {
      const all = loadMigrations();
      await migrate(old, all.filter((m) => m.version < 7));
      await old.insert('events', rows);
      const before = await old.query('SELECT * FROM study_product_lifecycle ORDER BY hospital, study_key, product');
      expect(before.length).toBeGreaterThan(50);
      await migrate(old, all);
      expect(await old.query('SELECT * FROM study_product_lifecycle ORDER BY hospital, study_key, product')).toEqual(before);
      const [filled] = await old.query<{ traced: number; viewers: number }>(
        "SELECT countIf(trace_id IS NOT NULL) AS traced, sum(length(viewer_keys)) AS viewers FROM (SELECT min(trace_id) AS trace_id, groupUniqArrayMerge(viewer_keys) AS viewer_keys FROM lifecycle GROUP BY hospital, study_key, product)",
      );
      expect(Number(filled!.traced)).toBe(before.length + 50);
      expect(Number(filled!.viewers)).toBeGreaterThan(0);
      // The materialized view feeds the new table.
      await old.insert('events', [eventToRow(makeEvent('study.received', { ...events[0]!, event_id: undefined, study_key: 'f'.repeat(64) } as never))]);
      expect(await old.query("SELECT count() AS n FROM lifecycle WHERE study_key = {k:String}", { k: 'f'.repeat(64) })).toEqual([{ n: 1 }]);
    } finally {
      await old.close();
      dir.remove();
    }
  });
});
