/**
 * All analytics jobs over a simulated year: the events are backfilled first
 * (fast path), then `runAnalytics` is timed, with the process's peak memory.
 * `--volume` scales the pilot's volumes (1: the five pilot hospitals).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAnalytics } from '../analytics/index.ts';
import { Collector } from '../collector/index.ts';
import { Backfill, loadScenario } from '../simulator/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { endProgress, machine, progress } from './bench-kit.ts';

const { values } = parseArgs({ options: { weeks: { type: 'string', default: '52' }, volume: { type: 'string', default: '1' } } });
const weeks = Number(values.weeks);
const volume = Number(values.volume);
const say = progress('analytics');
const dir = tempDir('bench-analytics');
const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
await migrate(store);
// A simulated year from a fixed start: its times are not checked against the clock.
const collector = new Collector(store, { warn() {}, error() {} }, { window: null });

let peakRss = process.memoryUsage().rss;
const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const backfill = new Backfill({ scenario: { ...loadScenario('drift'), volume_factor: volume }, seed: 'bench', weeks });
let studies = 0;
let events = 0;
const loadStarted = performance.now();
for (const week of backfill.weeks()) {
  for (let i = 0; i < week.events.length; i += 20_000) await collector.accept(week.events.slice(i, i + 20_000), 'in-process').stored;
  studies += week.studies;
  events += week.events.length;
  say(`backfilled week ${week.week + 1}/${weeks}: ${studies} studies, ${events} events`);
}
await collector.shutdown();
const loadSeconds = (performance.now() - loadStarted) / 1000;
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const rssBefore = peakRss;
say('running all analytics jobs');
const run = await runAnalytics(store);
clearInterval(sample);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
endProgress();
await store.close();
dir.remove();
console.log(
  JSON.stringify(
    {
      bench: 'analytics',
      machine: await machine(),
      weeks,
      volume_factor: volume,
      studies,
      events,
      backfill_seconds: Number(loadSeconds.toFixed(1)),
      analytics_seconds: Number(run.seconds.toFixed(2)),
      result_rows: run.rows,
      peak_rss_mib_loading: Math.round(rssBefore / 2 ** 20),
      peak_rss_mib_analytics: Math.round(peakRss / 2 ** 20),
    },
    null,
    2,
  ),
);
