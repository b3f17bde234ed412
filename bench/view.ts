/**
 * The built-in dashboard view: the time to answer each dashboard's panels over
 * HTTP (token check, macros, query, shaping, JSON), against the raw chDB query
 * of the same expanded SQL, over a simulated pilot half-year. Alternating rounds,
 * median per panel.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { runAnalytics } from '../analytics/index.ts';
import { Collector } from '../collector/index.ts';
import { dashboards, expandMacros, viewRoutes, ViewerTokens } from '../dashboards/index.ts';
import { contractedProducts, PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { Backfill, loadScenario, mondayWeeksAgo, shiftScenario } from '../simulator/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { endProgress, machine, median, progress, timeIt } from './bench-kit.ts';

const { values } = parseArgs({ options: { weeks: { type: 'string', default: '26' }, rounds: { type: 'string', default: '5' } } });
const weeks = Number(values.weeks);
const rounds = Number(values.rounds);
const say = progress('view');
const dir = tempDir('bench-view');
const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
await migrate(store);
const collector = new Collector(store, { warn() {}, error() {} });
const backfill = new Backfill({ scenario: shiftScenario(loadScenario('stable'), mondayWeeksAgo(weeks)), seed: 'bench', weeks });
let studies = 0;
for (const week of backfill.weeks()) {
  for (let i = 0; i < week.events.length; i += 20_000) {
    const { stored } = collector.accept(week.events.slice(i, i + 20_000), 'in-process');
    await collector.writer.flush();
    await stored;
  }
  studies += week.studies;
  say(`backfilled week ${week.week + 1}/${weeks}: ${studies} studies`);
}
await collector.shutdown();
say('running the analytics');
await runAnalytics(store);

const HOSPITALS = PILOT_HOSPITALS.hospitals.map((h) => h.id);
const token = 'bench-token-0123456789';
const app = Fastify();
await app.register(viewRoutes, { source: store, viewers: new ViewerTokens([{ name: 'bench', audience: 'all', token }]), hospitals: HOSPITALS, traceUrl: 'http://127.0.0.1:16686/trace/{trace_id}' });
const to = new Date();
const from = new Date(to.getTime() - weeks * 7 * 86_400_000);
const range = `from=${from.toISOString().slice(0, 10)}&to=${to.toISOString().slice(0, 10)}`;

const result: Record<string, { panels: number; view_ms: number; raw_ms: number; ratio: number }> = {};
for (const d of dashboards({ hospitals: HOSPITALS, products: contractedProducts(PILOT_HOSPITALS) }).filter((x) => x.panels.length > 0)) {
  let viewTotal = 0;
  let rawTotal = 0;
  for (const [i, spec] of d.panels.entries()) {
    say(`${d.uid}: ${spec.title}`);
    const sql = expandMacros(spec.sql, { from: new Date(`${from.toISOString().slice(0, 10)}T00:00:00Z`), to: new Date(`${to.toISOString().slice(0, 10)}T00:00:00Z`), variables: { hospital: HOSPITALS, product: d.products } });
    const view: number[] = [];
    const raw: number[] = [];
    for (let r = 0; r < rounds; r++) {
      view.push(
        await timeIt(async () => {
          const response = await app.inject({ url: `/view/api/d/${d.uid}/panels/${i}?${range}`, headers: { authorization: `Bearer ${token}` } });
          if (response.statusCode !== 200) throw new Error(`${d.uid} panel ${i}: ${response.statusCode} ${response.body}`);
        }),
      );
      raw.push(await timeIt(() => store.queryText(sql, 'JSONCompact')));
    }
    viewTotal += median(view);
    rawTotal += median(raw);
  }
  result[d.uid] = { panels: d.panels.length, view_ms: Number(viewTotal.toFixed(1)), raw_ms: Number(rawTotal.toFixed(1)), ratio: Number((viewTotal / rawTotal).toFixed(2)) };
}
endProgress();
await app.close();
await store.close();
dir.remove();
console.log(JSON.stringify({ bench: 'view', machine: await machine(), weeks, studies, rounds, dashboards: result }, null, 2));
