/**
 * The bulk load of the national scenario (`aifi simulate --scenario national
 * --bulk`): N weeks at a volume factor into a fresh embedded store, with the
 * rate, the time spent in the store's inserts, the CPU time of the whole
 * process (worker threads and chDB's threads included) and the peak RSS. The
 * 52-week figure is extrapolated from the rate.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bulkLoad, loadScenario } from '../simulator/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { endProgress, machine, progress } from './bench-kit.ts';

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '1' },
    volume: { type: 'string', default: '1' },
    workers: { type: 'string' },
    seed: { type: 'string', default: 'bench' },
  },
});
const weeks = Number(values.weeks);
const dir = tempDir('bench-national');
const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
await migrate(store);

let peakRss = 0;
const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
const say = progress('national-load');
const cpu = process.cpuUsage();
const result = await bulkLoad({
  store,
  scenario: loadScenario('national'),
  seed: values.seed,
  weeks,
  volumeFactor: Number(values.volume),
  ...(values.workers ? { workers: Number(values.workers) } : {}),
  onProgress: (p) => say(`${p.done}/${p.total} hospital-weeks, ${p.stored} events stored, ${Math.round(p.stored / p.seconds)} events/s, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`),
});
endProgress();
const used = process.cpuUsage(cpu);
clearInterval(sample);
peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
const [check] = await store.query<{ n: number }>('SELECT count() AS n FROM events');
if (check?.n !== result.events) throw new Error(`expected ${result.events} events in the store, found ${check?.n}`);

console.log(
  JSON.stringify(
    {
      bench: 'national-load',
      machine: await machine(),
      weeks,
      volume_factor: Number(values.volume),
      workers: result.workers,
      studies: result.studies,
      events: result.events,
      seconds: Number(result.seconds.toFixed(1)),
      events_per_s: Math.round(result.events / result.seconds),
      insert_seconds: Number(result.insertSeconds.toFixed(1)),
      inserts: result.inserts,
      cpu_seconds: Number(((used.user + used.system) / 1e6).toFixed(1)),
      cpu_us_per_event: Number(((used.user + used.system) / result.events).toFixed(1)),
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      year_seconds_extrapolated: Math.round((result.seconds * 52) / weeks),
    },
    null,
    2,
  ),
);
await store.close();
dir.remove();
