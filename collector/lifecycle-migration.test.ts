import { describe, expect, it } from 'vitest';
import { makeEvent } from '../events/index.ts';
import { EmbeddedStore, loadMigrations, migrate } from '../store/index.ts';
import { sampleStudyEvents, tempDir } from '../testing/index.ts';
import { eventToRow } from './index.ts';

// Sample studies, each with the trace id its orchestrator span would give it.
const events = Array.from({ length: 50 }, (_, i) => sampleStudyEvents(i).map((e) => ({ ...e, trace_id: `${i}`.padStart(32, '0') }))).flat();
const rows = events.map(eventToRow);

// 0007 made the lifecycle anew with more states; 0009 made it the study events ordered by study.
describe.each([7, 9])('migration %i on a store that holds events', (version) => {
  it('makes the lifecycle anew with the same figures, the trace ids and viewers kept, and the view feeding it', async () => {
    const dir = tempDir(`migrate-${version}`);
    const old = new EmbeddedStore({ path: `${dir.path}/clickhouse` });
    try {
      const all = loadMigrations();
      await migrate(old, all.filter((m) => m.version < version));
      await old.insert('events', rows);
      const before = await old.query('SELECT * FROM study_product_lifecycle ORDER BY hospital, study_key, product');
      expect(before.length).toBeGreaterThan(50);
      await migrate(old, all);
      expect(await old.query('SELECT * FROM study_product_lifecycle ORDER BY hospital, study_key, product')).toEqual(before);
      const [filled] = await old.query<{ traced: number; viewers: number; groups: number }>(
        `SELECT count() AS groups, countIf(trace_id IS NOT NULL) AS traced, sum(length(viewer_keys)) AS viewers
         FROM (SELECT minIf(toNullable(trace_id), trace_id != '') AS trace_id, groupUniqArrayIf(user_key, type = 'result.viewed') AS viewer_keys
               FROM lifecycle GROUP BY hospital, study_key, product)`,
      );
      expect(Number(filled!.groups)).toBe(before.length + 50);
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
