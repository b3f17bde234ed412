import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalytics } from '../analytics/index.ts';
import { PRODUCT_IDS, productsOfVendor } from '../events/index.ts';
import { loadScenario } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { loadSimulation, migratedStore, rowsOfPanelThatMayBeEmpty } from '../testing/index.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { contractedProducts, PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { dashboards as allDashboards, expandMacros, viewRoutes, ViewerTokens, type DashboardOptions } from './index.ts';

const HOSPITALS = PILOT_HOSPITALS.hospitals.map((h) => h.id);
const dashboards = (options: Partial<DashboardOptions> = {}) => allDashboards({ hospitals: HOSPITALS, products: contractedProducts(PILOT_HOSPITALS), ...options });

let store: EmbeddedStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await migratedStore('dashboards'));
  await loadSimulation(store, loadScenario('stable'), 'dashboards', 6);
  await runAnalytics(store);
});
afterAll(() => close());

const context = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z'), variables: { hospital: HOSPITALS, product: [...PRODUCT_IDS] } };

describe('the generated dashboards', () => {
  it('run every panel query on chDB, with the macros expanded as the plugin does, returning the columns the panel expects and data', async () => {
    let panels = 0;
    let mayBeEmpty = 0;
    for (const d of dashboards()) {
      for (const spec of d.panels) {
        const sql = expandMacros(spec.sql, context);
        expect(sql, spec.title).not.toMatch(/\$__|\$\{/);
        const text = await store.queryText(sql, 'JSON');
        const result = JSON.parse(text) as { meta: { name: string }[]; data: unknown[] };
        expect(result.meta.map((m) => m.name), `${d.uid}: ${spec.title}`).toEqual(spec.columns);
        if (spec.mayBeEmpty) {
          // A panel that may be empty (a stable network has no alarm episode) lists exactly the rows there are of the dashboard's products.
          const n = await rowsOfPanelThatMayBeEmpty(store, spec.mayBeEmpty, d.products);
          expect(result.data.length, `${d.uid}: ${spec.title}`).toBe(n);
          mayBeEmpty++;
        } else expect(result.data.length, `${d.uid}: ${spec.title}`).toBeGreaterThan(0);
        panels++;
      }
    }
    expect(panels).toBeGreaterThan(15);
    expect(mayBeEmpty).toBeGreaterThan(0);
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
        const rows = await store.query<{ product?: string; series?: string; hospital?: string }>(expandMacros(spec.sql, context));
        if (spec.title === 'Each hospital against the network') expect(rows.map((r) => r.hospital), d.uid).toContain('network');
        for (const row of rows) {
          const product = row.product ?? PRODUCT_IDS.find((p) => row.series?.includes(` ${p} `));
          expect(own, `${d.uid}: ${spec.title}`).toContain(product);
        }
      }
    }
  });

  it('offer the hospitals of the deployment in the hospital variable', () => {
    const json = dashboards({ hospitals: ['amphia', 'mst'] }).find((d) => d.uid === 'aifi-adoption')!.json as { templating: { list: { name: string; query: string }[] } };
    expect(json.templating.list.find((v) => v.name === 'hospital')!.query).toBe('amphia,mst');
  });

  it('are the same when another process makes them, in another time zone', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const out = mkdtempSync(join(tmpdir(), 'aifi-dashboards-'));
    try {
      const run = spawnSync(process.execPath, ['bin/aifi.mjs', 'dashboards', 'generate', '--out', out], { encoding: 'utf8', env: { ...process.env, TZ: 'Pacific/Kiritimati' } });
      expect(run.status, run.stderr).toBe(0);
      for (const d of dashboards()) expect(JSON.parse(readFileSync(join(out, 'dashboards', `${d.uid}.json`), 'utf8')), d.uid).toEqual(JSON.parse(JSON.stringify(d.json)));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
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

describe('the built-in view, on the server', () => {
  const tokens = { all: 'all-token-0123456789', visiana: 'visiana-token-0123456789', radiobotics: 'radiobotics-token-012345' };
  let app: FastifyInstance;
  beforeAll(async () => {
    const viewers = new ViewerTokens([
      { name: 'everyone', audience: 'all', token: tokens.all },
      { name: 'Visiana', audience: 'vendor:visiana', token: tokens.visiana },
      // A shared deployment stores the hash only.
      { name: 'Radiobotics', audience: 'vendor:radiobotics', sha256: createHash('sha256').update(tokens.radiobotics).digest('hex') },
    ]);
    app = Fastify({ trustProxy: '127.0.0.1' });
    await app.register(viewRoutes, { source: store, viewers, hospitals: HOSPITALS, traceUrl: 'http://127.0.0.1:16686/trace/{trace_id}', now: () => new Date('2026-02-20T00:00:00Z') });
  });
  afterAll(() => app.close());
  const get = (url: string, token?: string) => app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('asks for a token, and signs in with ?token= by a cookie, taking the token out of the address', async () => {
    expect((await get('/view/')).statusCode).toBe(401);
    expect((await get('/view/api/d/aifi-adoption/panels/0')).statusCode).toBe(401);
    expect((await get('/view/api/d/aifi-adoption/panels/0', 'not-a-token')).statusCode).toBe(401);
    expect((await get('/view/d/aifi-adoption?token=wrong')).statusCode).toBe(401);
    const signIn = await get(`/view/d/aifi-adoption?from=now-30d&token=${tokens.all}`);
    expect(signIn.statusCode).toBe(303);
    expect(signIn.headers.location).toBe('/view/d/aifi-adoption?from=now-30d');
    const cookie = String(signIn.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    const page = await app.inject({ url: '/view/d/aifi-adoption?from=now-30d', headers: { cookie: cookie.split(';')[0]! } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Adoption per week');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('marks the sign-in cookie Secure when the request came over TLS, through a proxy it trusts', async () => {
    const signIn = (headers: Record<string, string>) => app.inject({ url: `/view/?token=${tokens.all}`, headers });
    expect(String((await signIn({ 'x-forwarded-proto': 'https' })).headers['set-cookie'])).toMatch(/; Secure$/);
    expect(String((await signIn({})).headers['set-cookie'])).not.toMatch(/Secure/);
    const outOverTls = await app.inject({ url: '/view/logout', headers: { 'x-forwarded-proto': 'https' } });
    expect(String(outOverTls.headers['set-cookie'])).toMatch(/Secure; Max-Age=0$/);
  });

  it("answers a vendor's token with 403 for another vendor's dashboard and its data, by hash as by token", async () => {
    for (const [token, own, other] of [
      [tokens.visiana, 'visiana', 'radiobotics'],
      [tokens.radiobotics, 'radiobotics', 'avicenna'],
    ] as const) {
      expect((await get(`/view/api/d/aifi-vendor-${own}/panels/0`, token)).statusCode).toBe(200);
      const refused = await get(`/view/api/d/aifi-vendor-${other}/panels/0`, token);
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain(`for vendor:${other}`);
      expect((await get(`/view/d/aifi-vendor-${other}`, token)).statusCode).toBe(403);
      expect((await get('/view/api/d/aifi-adoption/panels/0', token)).statusCode).toBe(403);
      const index = await get('/view/', token);
      expect(index.body).toContain(`/view/d/aifi-vendor-${own}`);
      expect(index.body).not.toContain(`/view/d/aifi-vendor-${other}`);
    }
  });

  it('serves panel data shaped for drawing: a time series pivoted per series, a table with its trace links', async () => {
    const series = (await get('/view/api/d/aifi-adoption/panels/0?from=2026-01-01&to=2026-03-01&hospital=gelre', tokens.all)).json();
    expect(series.kind).toBe('timeseries');
    expect(series.times.length).toBeGreaterThan(3);
    expect(new Set(series.series.map((s: { field: string }) => s.field))).toEqual(new Set(['rate', 'ci_low', 'ci_high']));
    // One line per product, pooled over the chosen hospitals.
    expect(new Set(series.series.map((s: { label: string }) => s.label))).toEqual(new Set(contractedProducts(PILOT_HOSPITALS)));
    const index = dashboards().find((d) => d.uid === 'aifi-turnaround')!.panels.findIndex((p) => p.title === 'Breaches');
    const breaches = (await get(`/view/api/d/aifi-turnaround/panels/${index}?from=2026-01-01&to=2026-03-01`, tokens.all)).json();
    expect(breaches).toMatchObject({ kind: 'table', trace: { column: 'trace_id', url: 'http://127.0.0.1:16686/trace/{trace_id}' } });
    const at = breaches.columns.indexOf('trace_id');
    expect(breaches.rows.length).toBeGreaterThan(0);
    for (const row of breaches.rows) expect(row[at]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('never draws the unfinished week as a measured value, on a Monday morning as on any other day', async () => {
    // The stable backfill runs six weeks from Monday 2026-01-05; at 08:00 on its last Monday that week has just begun.
    for (const to of ['2026-02-09T08:00:00Z', '2026-02-12T15:00:00Z']) {
      const monday = Date.parse('2026-02-09T00:00:00Z') / 1000;
      for (const title of ['Adoption per week', 'Volumes']) {
        const i = dashboards().find((d) => d.uid === 'aifi-adoption')!.panels.findIndex((p) => p.title === title);
        const data = (await get(`/view/api/d/aifi-adoption/panels/${i}?from=2026-01-01&to=${to}`, tokens.all)).json();
        expect(data.unfinishedFrom, `${title} to ${to}`).toBe(monday);
        const last = data.times.indexOf(monday);
        expect(last, title).toBe(data.times.length - 1);
        const measured = data.series.filter((s: { field: string }) => !s.field.endsWith('_unfinished'));
        const unfinished = data.series.filter((s: { field: string }) => s.field.endsWith('_unfinished'));
        // The unfinished week has no measured value nor interval, and only it has a value of its own.
        for (const s of measured) expect(s.values[last], `${title}: ${s.label} ${s.field}`).toBeNull();
        for (const s of measured.filter((x: { field: string }) => x.field !== 'ci_low' && x.field !== 'ci_high')) expect(s.values.slice(0, last).every((v: number | null) => v !== null), s.label).toBe(true);
        expect(unfinished.length).toBeGreaterThan(0);
        for (const s of unfinished) {
          expect(s.values[last], `${title}: ${s.label}`).not.toBeNull();
          expect(s.values.slice(0, last).every((v: number | null) => v === null)).toBe(true);
        }
      }
    }
    // Once the range ends after the week, it is measured like the others.
    const after = (await get('/view/api/d/aifi-adoption/panels/0?from=2026-01-01&to=2026-02-16T00:00:00Z', tokens.all)).json();
    expect(after.unfinishedFrom).toBeNull();
  });

  it('names what is wrong in a request', async () => {
    const cases: [string, number, RegExp][] = [
      ['/view/api/d/aifi-adoption/panels/0?hospital=nowhere', 400, /hospital: unknown "nowhere"/],
      ['/view/api/d/aifi-vendor-visiana/panels/0?product=rbfracture', 400, /product: unknown "rbfracture"/],
      ['/view/api/d/aifi-adoption/panels/0?from=yesterday', 400, /from: "yesterday" is not a time/],
      ['/view/api/d/aifi-adoption/panels/0?from=now&to=now-1d', 400, /must be before/],
      ['/view/api/d/aifi-adoption/panels/0?hospitals=gelre', 400, /hospitals/],
      ['/view/api/d/aifi-adoption/panels/99', 404, /has no panel "99"/],
      ['/view/api/d/nothing/panels/0', 404, /no dashboard "nothing"/],
    ];
    for (const [url, status, message] of cases) {
      const response = await get(url, tokens.all);
      expect(response.statusCode, url).toBe(status);
      expect(response.json().error, url).toMatch(message);
    }
  });

  it('reads a viewer tokens file and names each bad entry', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const path = `${mkdtempSync('/tmp/aifi-viewers-')}/viewers.json`;
    writeFileSync(path, JSON.stringify({ viewers: [{ name: 'x', audience: 'vendor:nobody', token: 'short' }, { name: 'y', audience: 'ops', token: 'long-enough-token-1234', sha256: 'ab' }] }));
    expect(() => ViewerTokens.fromFile(path)).toThrow(/viewers\.0\.audience: unknown audience "vendor:nobody": use all, lead, ops or vendor:<vendor>[\s\S]*viewers\.0\.token: must be at least 16[\s\S]*viewers\.1\.sha256/);
    const made = ViewerTokens.ensureFile(path.replace('viewers.json', 'made/viewers.json'));
    const token = made.tokenOf('vendor:avicenna')!;
    expect(made.resolve(token)).toEqual({ name: 'vendor:avicenna', audience: 'vendor:avicenna' });
    expect(ViewerTokens.ensureFile(path.replace('viewers.json', 'made/viewers.json')).tokenOf('vendor:avicenna')).toBe(token);
  });
});

describe('trace links in the generated dashboards', () => {
  it('link the breaches table to the trace only where a trace URL is given', () => {
    const withTrace = JSON.stringify(dashboards({ traceUrl: 'http://jaeger:16686/trace/{trace_id}' }).find((d) => d.uid === 'aifi-turnaround')!.json);
    expect(withTrace).toContain('http://jaeger:16686/trace/${__value.raw}');
    expect(JSON.stringify(dashboards().find((d) => d.uid === 'aifi-turnaround')!.json)).not.toContain('__value.raw');
  });
});
