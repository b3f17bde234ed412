import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore } from '../testing/index.ts';
import { runAnalytics } from './index.ts';
import { JOBS } from './run.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ store, close } = await migratedStore('jobs'));
});
afterAll(() => close());

describe('the analytics jobs', () => {
  it('are the seven, each owning result tables of the schema that no other job owns', async () => {
    expect(JOBS.map((j) => j.name)).toEqual(['adoption', 'turnaround', 'availability', 'performance', 'drift', 'cost', 'benefit']);
    const tables = JOBS.flatMap((j) => j.tables);
    expect(new Set(tables).size).toBe(tables.length);
    const existing = new Set((await store.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')).map((r) => r.name));
    expect(tables.filter((t) => !existing.has(t))).toEqual([]);
  });

  it('run only the ones asked for, and count only their tables', async () => {
    const run = await runAnalytics(store, { jobs: ['availability', 'cost'], settleMs: 0 });
    expect(run.steps.map((s) => s.step)).toEqual(['cases', 'availability', 'cost']);
    expect(Object.keys(run.rows)).toEqual(['availability_daily', 'cost_cells', 'cost_monthly', 'cost_yearly']);
    const none = await runAnalytics(store, { jobs: [], settleMs: 0 });
    expect(none.steps.map((s) => s.step)).toEqual(['cases']);
    expect(none.rows).toEqual({});
  });
});
