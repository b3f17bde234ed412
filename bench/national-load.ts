/**
 * The bulk load of the national scenario (`aifi simulate --scenario national
 * --bulk`): N weeks at a volume factor into a fresh embedded store, with the
 * rate, the time spent in the store's inserts, the CPU time of the whole
 * process (worker threads and chDB's threads included), the share of it spent
 * in the kernel, the share of the wall time the loader waited on inserts, and
 * the peak RSS. The 52-week figure is extrapolated from the rate.
 *
 * `--compare` loads the same events into stores of two schemas in alternating
 * rounds (`--rounds`): the lifecycle as aggregate states made at insert (the
 * migrations up to 0008) and as the study events ordered by study (0009 on),
 * so that the machine's noise falls on both alike. `--formats` compares the
 * rows sent as TabSeparated and as RowBinary the same way, and `--gc` the
 * workers' young generation at V8's default and at the bulk load's
 * (BULK_WORKER_YOUNG_GENERATION_MB).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BULK_WORKER_YOUNG_GENERATION_MB, bulkLoad, loadScenario } from '../simulator/index.ts';
import { EmbeddedStore, loadMigrations, migrate } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { endProgress, machine, median, progress } from './bench-kit.ts';

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '1' },
    volume: { type: 'string', default: '1' },
    workers: { type: 'string' },
    seed: { type: 'string', default: 'bench' },
    compare: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '2' },
    formats: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
  },
});
const weeks = Number(values.weeks);
const say = progress('national-load');

/** The last migration of each schema compared, and the format of the rows (`--formats`: TabSeparated against RowBinary). */
const SCHEMAS: Record<string, number> = values.compare
  ? { 'aggregate states (0008)': 8, 'study events (0009)': Infinity }
  : values.formats
    ? { TabSeparated: Infinity, RowBinary: Infinity }
    : values.gc
      ? { 'young generation V8 default': Infinity, [`young generation ${BULK_WORKER_YOUNG_GENERATION_MB} MB`]: Infinity }
      : { current: Infinity };
const comparing = values.compare || values.formats || values.gc;
const formatOf = (label: string) => (label.startsWith('TabSeparated') ? 'TabSeparated' : 'RowBinary');

async function load(label: string, upTo: number) {
  const dir = tempDir('bench-national');
  const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
  await migrate(store, loadMigrations().filter((m) => m.version <= upTo));
  let peakRss = 0;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const cpu = process.cpuUsage();
  const result = await bulkLoad({
    store,
    scenario: loadScenario('national'),
    seed: values.seed,
    weeks,
    volumeFactor: Number(values.volume),
    ...(values.workers ? { workers: Number(values.workers) } : {}),
    format: formatOf(label),
    ...(label.startsWith('young generation V8 default') ? { workerYoungGenerationMb: null } : {}),
    onProgress: (p) => say(`${label}: ${p.done}/${p.total} hospital-weeks, ${p.stored} events stored, ${Math.round(p.stored / p.seconds)} events/s, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`),
  });
  const used = process.cpuUsage(cpu);
  clearInterval(sample);
  // The process's own peak (maxRSS) counts only for its first load: after that it is an earlier load's.
  if (runs.length === 0) peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  const [check] = await store.query<{ n: number }>('SELECT count() AS n FROM events');
  if (check?.n !== result.events) throw new Error(`expected ${result.events} events in the store, found ${check?.n}`);
  await store.close();
  dir.remove();
  return {
    schema: label,
    workers: result.workers,
    format: result.format,
    studies: result.studies,
    events: result.events,
    seconds: Number(result.seconds.toFixed(1)),
    events_per_s: Math.round(result.events / result.seconds),
    insert_seconds: Number(result.insertSeconds.toFixed(1)),
    inserts: result.inserts,
    cpu_seconds: Number(((used.user + used.system) / 1e6).toFixed(1)),
    cpu_us_per_event: Number(((used.user + used.system) / result.events).toFixed(1)),
    system_cpu_share: Number((used.system / (used.user + used.system)).toFixed(2)),
    insert_share: Number((result.insertSeconds / result.seconds).toFixed(2)),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    year_seconds_extrapolated: Math.round((result.seconds * 52) / weeks),
  };
}

const runs: Awaited<ReturnType<typeof load>>[] = [];
const rounds = comparing ? Number(values.rounds) : 1;
for (let round = 1; round <= rounds; round++) for (const [label, upTo] of Object.entries(SCHEMAS)) runs.push(await load(rounds > 1 ? `${label}, round ${round}` : label, upTo));
endProgress();

const summary = Object.keys(SCHEMAS).map((label) => {
  const mine = runs.filter((r) => r.schema.startsWith(label));
  return {
    schema: label,
    median_seconds: median(mine.map((r) => r.seconds)),
    median_insert_seconds: median(mine.map((r) => r.insert_seconds)),
    median_cpu_us_per_event: median(mine.map((r) => r.cpu_us_per_event)),
  };
});
console.log(
  JSON.stringify(
    {
      bench: 'national-load',
      machine: await machine(),
      weeks,
      volume_factor: Number(values.volume),
      runs,
      ...(comparing
        ? {
            summary,
            ratio_seconds_after_to_before: Number((summary[1]!.median_seconds / summary[0]!.median_seconds).toFixed(2)),
            ratio_insert_after_to_before: Number((summary[1]!.median_insert_seconds / summary[0]!.median_insert_seconds).toFixed(2)),
            ratio_cpu_after_to_before: Number((summary[1]!.median_cpu_us_per_event / summary[0]!.median_cpu_us_per_event).toFixed(2)),
          }
        : {}),
    },
    null,
    2,
  ),
);
