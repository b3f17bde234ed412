import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalytics } from '../analytics/index.ts';
import { eventToRow } from '../collector/index.ts';
import { PRODUCT_IDS, productsOfVendor } from '../events/index.ts';
import { Backfill, loadScenario } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore } from '../testing/index.ts';
import { dashboards, expandMacros, HOSPITALS } from './index.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await migratedStore('dashboards'));
  const backfill = new Backfill({ scenario: loadScenario('stable'), seed: 'dashboards', weeks: 6 });
  for (const week of backfill.weeks()) await store.insert('events', week.events.map(eventToRow));
  await runAnalytics(store);
});
afterAll(() => close());

const context = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z'), variables: { hospital: HOSPITALS, product: [...PRODUCT_IDS] } };

describe('the generated dashboards', () => {
  it('run every panel query on chDB, with the macros expanded as the plugin does, returning the columns the panel expects and data', async () => {
    let panels = 0;
    for (const d of dashboards()) {
      for (const spec of d.panels) {
        const sql = expandMacros(spec.sql, context);
        expect(sql, spec.title).not.toMatch(/\$__|\$\{/);
        const text = await store.queryText(sql, 'JSON');
        const result = JSON.parse(text) as { meta: { name: string }[]; data: unknown[] };
        expect(result.meta.map((m) => m.name), `${d.uid}: ${spec.title}`).toEqual(spec.columns);
        expect(result.data.length, `${d.uid}: ${spec.title}`).toBeGreaterThan(0);
        panels++;
      }
    }
    expect(panels).toBeGreaterThan(15);
  });

  it('put the ClickHouse SQL of each panel into the dashboard JSON as the plugin reads it', () => {
    const [adoption] = dashboards();
    const json = adoption!.json as { uid: string; panels: { targets: { editorType: string; queryType: string; rawSql: string; datasource: { type: string } }[] }[] };
    expect(json.uid).toBe('aifi-adoption');
    expect(json.panels).toHaveLength(adoption!.panels.length);
    for (const [i, p] of json.panels.entries()) {
      expect(p.targets[0]).toMatchObject({ editorType: 'sql', datasource: { type: 'grafana-clickhouse-datasource' }, rawSql: adoption!.panels[i]!.sql.trim() });
    }
  });

  it('give a vendor no query that can return another vendor products', async () => {
    for (const d of dashboards().filter((x) => x.audience.startsWith('vendor:'))) {
      const vendor = d.audience.slice(7);
      const own = productsOfVendor(vendor);
      const others = PRODUCT_IDS.filter((p) => !own.includes(p));
      const text = JSON.stringify(d.json);
      for (const other of others) expect(text, `${d.uid} mentions ${other}`).not.toContain(`'${other}'`);
      for (const spec of d.panels) {
        expect(spec.sql).toContain(`product IN (${own.map((p) => `'${p}'`).join(', ')})`);
        const rows = await store.query<{ product?: string; series?: string }>(expandMacros(spec.sql, context));
        for (const row of rows) {
          const product = row.product ?? PRODUCT_IDS.find((p) => row.series?.includes(` ${p} `));
          expect(own, `${d.uid}: ${spec.title}`).toContain(product);
        }
      }
    }
  });

  it('are deterministic', () => {
    expect(JSON.stringify(dashboards())).toBe(JSON.stringify(dashboards()));
  });
});

describe('the dashboards in deploy/grafana', () => {
  it('are what the code generates (run `aifi dashboards generate` after changing a dashboard)', async () => {
    const { readFileSync } = await import('node:fs');
    for (const d of dashboards()) {
      expect(JSON.parse(readFileSync(`deploy/grafana/dashboards/${d.uid}.json`, 'utf8')), d.uid).toEqual(JSON.parse(JSON.stringify(d.json)));
    }
  });
});
