/**
 * The analytics at growing volume: 1 x, 8 x and 32 x the pilot, and the
 * national year. At each scale a year is loaded (or a loaded store reused), then
 * measured with the process's peak memory (chDB runs in the same process):
 *   - the per-study rows made anew from the lifecycle with every result
 *     (`--rebuild-cases`), and the rebuild of every result from them (`--rebuild`);
 *   - an incremental run after five minutes of national traffic: 1,500 new
 *     studies with their events, and 1,500 late verdicts on studies of the six
 *     weeks before, drawn by the seed from every hospital and product (the same
 *     traffic at every scale, so that the growth of the history shows, not of
 *     the traffic);
 *   - every dashboard panel's query over the last 90 days and over the year.
 *
 *   npm run bench:national [-- --scales 1,8,national:8 --weeks 52 --store DIR --workers N]   (the default; add 32 and national for the whole growth)
 *   npm run bench:national -- --scales national:52 --store DIR --only incremental [--runs N --panels --statements --traffic-seed S]
 *   npm run bench:national -- --scales 1,8,national:8 --store DIR --only panels
 *
 * `--only incremental` skips the two rebuilds on a loaded store: only the traffic
 * and the incremental run (`--runs N` of them, each after its own traffic; the
 * first in a fresh process also makes its drift charts), the panels with
 * `--panels`. Its traffic is seeded by the time unless `--traffic-seed` is given
 * (traffic of a seed already run is deduplicated: nothing new to count).
 * `--only panels` times the panels alone on a loaded store, and beside the table
 * "What each PACS received" the query it replaced (every delivery's JSON in `events FINAL`).
 * Every run first applies the migrations a reused store lacks, timed (`migrate_seconds`).
 *
 * A scale may name its own weeks (`national:8`). The year is loaded by the bulk
 * load (`aifi simulate --bulk`): the rows the collector would store.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAnalytics } from '../analytics/index.ts';
import { eventToRow, insertEventRows } from '../collector/index.ts';
import { dashboards, expandMacros } from '../dashboards/index.ts';
import { makeEvent, uuidv7For } from '../events/index.ts';
import { Backfill, bulkLoad, loadScenario, shiftScenario, type Scenario } from '../simulator/index.ts';
import { EmbeddedStore, migrate, type Row } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { endProgress, machine, progress } from './bench-kit.ts';

const { values } = parseArgs({
  options: {
    scales: { type: 'string', default: '1,8,national:8' },
    weeks: { type: 'string', default: '52' },
    store: { type: 'string' },
    seed: { type: 'string', default: 'national-bench' },
    workers: { type: 'string' },
    // `incremental`: only the traffic and the incremental run (no rebuilds) on a loaded store; `--panels` to time the panels too.
    // `panels`: only the panels on a loaded store (after the migrations it lacks, timed).
    only: { type: 'string' },
    panels: { type: 'boolean', default: false },
    // The seed of the five minutes of traffic (a rerun with the same seed adds nothing new: its events are deduplicated).
    'traffic-seed': { type: 'string' },
    // Incremental runs one after the other, each after its own five minutes of traffic (the first in a fresh process makes its drift charts; `aifi up` keeps them).
    runs: { type: 'string', default: '1' },
    // Time every statement of the last incremental run and print the slowest on stderr.
    statements: { type: 'boolean', default: false },
  },
});
const onlyIncremental = values.only === 'incremental';
const onlyPanels = values.only === 'panels';
if (values.only !== undefined && !onlyIncremental && !onlyPanels) throw new Error(`--only: '${values.only}' is not a part this bench can run alone ('incremental' or 'panels')`);
const trafficSeed = values['traffic-seed'] ?? (onlyIncremental ? `${values.seed}|${Date.now()}` : values.seed!);
const say = progress('national');

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
sampler.unref();
/** A step's wall time, peak RSS, and the CPU time of the whole process (chDB's threads included): on a shared machine the CPU time is the steadier figure. */
const peak = async <T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number; peakRssMib: number }> => {
  peakRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const value = await work();
  const cpu = process.cpuUsage(cpu0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMib: Math.round(peakRss / 2 ** 20) };
};

function scenarioOf(scale: string): Scenario {
  if (scale === 'national') return loadScenario('national');
  return { ...loadScenario('stable'), volume_factor: Number(scale) };
}

/** Loads the weeks of the scenario by the bulk load; returns the studies and events. */
async function loadYear(store: EmbeddedStore, scenario: Scenario, weeks: number): Promise<{ studies: number; events: number }> {
  const loaded = await bulkLoad({
    store,
    scenario,
    seed: values.seed!,
    weeks,
    ...(values.workers ? { workers: Number(values.workers) } : {}),
    onProgress: (p) => say(`loading ${p.done}/${p.total} hospital-weeks: ${p.studies.toLocaleString('en')} studies, ${p.stored.toLocaleString('en')} events stored (${p.seconds.toFixed(0)} s)`),
  });
  return { studies: loaded.studies, events: loaded.events };
}

/** Five minutes of national traffic after the loaded year: new studies with their events, and late verdicts on older ones. */
/** The hospital × product groups the last traffic's late verdicts fall in. */
let lateCells = 0;

async function traffic(store: EmbeddedStore, scenario: Scenario, weeks: number, weeklyStudies: number, trafficSeed: string): Promise<Row[]> {
  const start = Date.parse(`${scenario.start}T00:00:00Z`) + weeks * 7 * 86_400_000;
  // The week after, thinned to a few thousand studies, of which the first 1,500 arrive.
  const thinned = { ...shiftScenario(scenario, new Date(start).toISOString().slice(0, 10)), volume_factor: scenario.volume_factor * Math.min(1, 3000 / weeklyStudies) };
  const next = new Backfill({ scenario: thinned, seed: `${trafficSeed}|next`, weeks: 1 });
  const rows: Row[] = [];
  const studies = new Set<string>();
  for (const week of next.weeks()) {
    for (const event of week.events) {
      const key = 'study_key' in event ? String(event.study_key) : '';
      if (!key) continue;
      if (!studies.has(key) && studies.size >= 1500) continue;
      studies.add(key);
      rows.push(eventToRow(event));
    }
  }
  const old = await store.query<{ hospital: string; product: string; study_key: string; finding: string }>(
    `SELECT hospital, product, study_key, finding FROM study_cases FINAL
     WHERE week >= toDate({from:DateTime64(3, 'UTC')}) AND finding IN ('positive', 'negative') AND verdict_at IS NULL
     ORDER BY cityHash64(study_key, product, {seed:String}) LIMIT 1500`,
    { from: new Date(start - 6 * 7 * 86_400_000).toISOString().slice(0, 23).replace('T', ' '), seed: trafficSeed },
  );
  // Drawn at random (by the seed) from every hospital and product: the first 1,500 rows in the table's order would
  // bunch in the first hospitals' cells and touch far fewer monitors than late verdicts over the network do.
  lateCells = new Set(old.map((c) => `${c.hospital}|${c.product}`)).size;
  old.forEach((c, i) => {
    const at = start + 3 * 86_400_000 + i * 200;
    rows.push(
      eventToRow(
        makeEvent('verdict.recorded', {
          event_id: uuidv7For(`${trafficSeed}|late|${i}`, at),
          occurred_at: new Date(at).toISOString(),
          hospital: c.hospital,
          source: 'bench',
          study_key: c.study_key,
          product: c.product as never,
          reader_key: c.study_key,
          label: c.finding === 'positive' ? 'positive' : 'negative',
          agreement: true,
        }),
      ),
    );
  });
  return rows;
}

/** Times every statement the store runs until stopped; stop gives the slowest 25, by their first 160 characters. */
function timeStatements(store: EmbeddedStore): { stop: () => { ms: number; sql: string }[] } {
  const timings: { ms: number; sql: string }[] = [];
  const methods = ['exec', 'query', 'insert'] as const;
  const originals = methods.map((m) => store[m]);
  methods.forEach((m, i) => {
    const original = originals[i]! as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[m] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original.apply(store, args);
      } finally {
        timings.push({ ms: performance.now() - t0, sql: `${m}: ${String(args[0]).replace(/\s+/g, ' ').trim().slice(0, 160)}` });
      }
    };
  });
  return {
    stop: () => {
      methods.forEach((m, i) => ((store as unknown as Record<string, unknown>)[m] = originals[i]));
      return timings.sort((a, b) => b.ms - a.ms).slice(0, 25);
    },
  };
}

/**
 * The table "What each PACS received" as it read before migration 0019: every delivery's
 * JSON in `events FINAL` unpacked. `--only panels` times it beside the panel that reads
 * `pacs_forms`, over the same range in the same run.
 */
const FORMS_FROM_EVENTS = `SELECT hospital, product, argMax(JSONExtractString(payload, 'pacs_via'), occurred_at) AS via,
       countIf(form = 'sr') AS sr_sent, countIf(form = 'sr' AND ack) AS sr_acknowledged, countIf(form = 'sc') AS sc_sent,
       countIf(form = 'sc' AND ack) AS sc_acknowledged, countIf(form = 'ko') AS ko_sent, countIf(form = 'ko' AND ack) AS ko_acknowledged,
       countIf(NOT ack) AS unacknowledged, argMaxIf(status, occurred_at, NOT ack) AS last_refusal_status
FROM (
  SELECT hospital, product, occurred_at, payload,
         arrayJoin(if(JSONHas(payload, 'forms'), JSONExtractArrayRaw(payload, 'forms'),
                      [concat('{"form":"', if(channel = 'dicom-sc', 'sc', 'sr'), '","acknowledged":', if(acknowledged = 1, 'true', 'false'), '}')])) AS f,
         JSONExtractString(f, 'form') AS form, JSONExtractBool(f, 'acknowledged') AS ack, JSONExtract(f, 'status', 'Nullable(UInt16)') AS status
  FROM events FINAL
  WHERE type = 'result.delivered' AND channel != 'none' AND $__timeFilter(occurred_at) AND hospital IN (\${hospital:singlequote}) AND product IN (\${product:singlequote})
)
GROUP BY hospital, product ORDER BY unacknowledged DESC, hospital, product LIMIT 100`;

/** Every dashboard panel's query over a range ending at the end of the loaded year: the total and the five slowest. */
async function panels(store: EmbeddedStore, hospitals: string[], products: string[], to: Date, days: number) {
  const from = new Date(to.getTime() - days * 86_400_000);
  const timings: { panel: string; ms: number }[] = [];
  const answers = new Map<string, unknown>();
  const time = async (panel: string, sql: string, variables: Record<string, string[]>) => {
    const t0 = performance.now();
    const text = await store.queryText(expandMacros(sql, { from, to, variables }), 'JSONCompact');
    timings.push({ panel, ms: performance.now() - t0 });
    answers.set(panel, (JSON.parse(text) as { data: unknown }).data);
  };
  for (const d of dashboards({ hospitals })) {
    for (const spec of d.panels) await time(`${d.uid}: ${spec.title}`, spec.sql, { hospital: hospitals, product: d.products.length ? d.products : products });
  }
  const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 5).map((t) => `${t.panel} (${t.ms.toFixed(0)} ms)`);
  const total_ms = Math.round(timings.reduce((s, t) => s + t.ms, 0));
  if (!onlyPanels) return { panels: timings.length, total_ms, slowest };
  await time('before 0019', FORMS_FROM_EVENTS, { hospital: hospitals, product: products });
  const [forms, before] = [timings.find((t) => t.panel.endsWith(': What each PACS received'))!, timings[timings.length - 1]!];
  const same = JSON.stringify(answers.get(forms.panel)) === JSON.stringify(answers.get(before.panel));
  return { panels: timings.length - 1, total_ms, slowest, pacs_forms_ms: Math.round(forms.ms), from_events_final_ms: Math.round(before.ms), same_rows: same };
}

const results: Record<string, unknown>[] = [];
for (const spec of values.scales!.split(',')) {
  const [scale, ownWeeks] = spec.split(':') as [string, string | undefined];
  const weeks = Number(ownWeeks ?? values.weeks);
  const scenario = scenarioOf(scale);
  const dir = values.store ? { path: join(values.store, scale), remove: () => {} } : tempDir(`bench-national-${scale}`);
  mkdirSync(dir.path, { recursive: true });
  const reuse = existsSync(join(dir.path, 'clickhouse', 'metadata'));
  const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
  say(`scale ${scale}: migrations`);
  const migrated = await peak(() => migrate(store));
  const loaded = reuse
    ? { value: { studies: -1, events: Number((await store.query<{ n: number }>('SELECT count() AS n FROM events'))[0]!.n) }, seconds: 0, peakRssMib: 0 }
    : await peak(() => loadYear(store, scenario, weeks));
  if ((onlyIncremental || onlyPanels) && !reuse) throw new Error(`--only ${values.only} needs a loaded store (--store DIR with ${scale}/ loaded): ${dir.path} has none`);
  const skipped = { value: { steps: [] as { step: string; seconds: number }[] }, seconds: Number.NaN, peakRssMib: 0 };
  let full = skipped;
  let rebuild = skipped;
  if (!onlyIncremental && !onlyPanels) {
    say(`scale ${scale}: making the per-study rows and every result`);
    full = await peak(() => runAnalytics(store, { rebuildCases: true, settleMs: 0, progress: (step, done, total) => say(`scale ${scale}: per-study rows ${done}/${total} hospitals`) }));
    say(`scale ${scale}: rebuilding every result`);
    rebuild = await peak(() => runAnalytics(store, { rebuild: true, settleMs: 0 }));
  }
  const studies = Number((await store.query<{ n: number }>("SELECT uniqExact(hospital, study_key) AS n FROM lifecycle WHERE type = 'study.received'"))[0]!.n);
  const runs: { rows: Row[]; run: Awaited<ReturnType<typeof runAnalytics>>; seconds: number; cpuSeconds: number; peakRssMib: number; load: number[] }[] = [];
  for (let k = 0; k < (onlyPanels ? 0 : Number(values.runs)); k++) {
    say(`scale ${scale}: five minutes of traffic (${k + 1}/${values.runs})`);
    const rows = await traffic(store, scenario, weeks, studies / weeks, k === 0 ? trafficSeed : `${trafficSeed}|${k}`);
    await insertEventRows(store, rows);
    say(`scale ${scale}: incremental run (${k + 1}/${values.runs})`);
    const timing = values.statements && k === Number(values.runs) - 1 ? timeStatements(store) : null;
    const measured = await peak(() => runAnalytics(store, { settleMs: 0 }));
    if (timing) for (const t of timing.stop()) say(`${t.ms.toFixed(0).padStart(7)} ms  ${t.sql}`);
    runs.push({ rows, run: measured.value, seconds: measured.seconds, cpuSeconds: measured.cpuSeconds, peakRssMib: measured.peakRssMib, load: loadavg().map((l) => Number(l.toFixed(1))) });
    const r = runs[runs.length - 1]!;
    say(`scale ${scale}: incremental run ${k + 1}: ${r.seconds.toFixed(2)} s (CPU ${r.cpuSeconds.toFixed(2)} s), ${r.run.studies} studies, ${r.run.steps.map((s) => `${s.step} ${s.seconds.toFixed(2)}`).join(', ')}`);
    endProgress();
  }
  const last = runs[runs.length - 1];
  const { rows, ...incremental } = last
    ? { ...last, value: last.run }
    : { rows: [] as Row[], seconds: Number.NaN, peakRssMib: 0, value: { studies: 0, steps: [] as { step: string; seconds: number }[] } };
  const [{ to }] = (await store.query<{ to: string }>('SELECT toString(max(received_at)) AS to FROM study_cases')) as [{ to: string }];
  const end = new Date(`${to.replace(' ', 'T')}Z`);
  const hospitals = (await store.query<{ h: string }>('SELECT DISTINCT hospital AS h FROM study_cases ORDER BY h')).map((r) => r.h);
  const products = (await store.query<{ p: string }>('SELECT DISTINCT product AS p FROM study_cases ORDER BY p')).map((r) => r.p);
  const timePanels = !onlyIncremental || values.panels;
  if (timePanels) say(`scale ${scale}: panels`);
  const last90 = timePanels ? await panels(store, hospitals, products, end, 90) : 'not run';
  const year = timePanels ? await panels(store, hospitals, products, end, 366) : 'not run';
  results.push({
    scale: scale === 'national' ? 'national' : `${scale} x pilot`,
    weeks,
    studies,
    events: loaded.value.events,
    load_seconds: Number(loaded.seconds.toFixed(1)),
    migrations: migrated.value.applied,
    migrate_seconds: Number(migrated.seconds.toFixed(1)),
    full_rebuild_seconds: Number(full.seconds.toFixed(2)),
    full_rebuild_peak_rss_mib: full.peakRssMib,
    full_rebuild_us_per_study: Number(((full.seconds * 1e6) / studies).toFixed(1)),
    rebuild_seconds: Number(rebuild.seconds.toFixed(2)),
    rebuild_steps: Object.fromEntries(rebuild.value.steps.map((s) => [s.step, Number(s.seconds.toFixed(2))])),
    rebuild_peak_rss_mib: rebuild.peakRssMib,
    rebuild_us_per_study: Number(((rebuild.seconds * 1e6) / studies).toFixed(1)),
    incremental_events: rows.length,
    late_verdict_groups: lateCells,
    incremental_seconds: Number(incremental.seconds.toFixed(2)),
    incremental_studies: incremental.value.studies,
    incremental_steps: Object.fromEntries(incremental.value.steps.map((s) => [s.step, Number(s.seconds.toFixed(2))])),
    incremental_peak_rss_mib: incremental.peakRssMib,
    incremental_runs: runs.map((r) => ({ seconds: Number(r.seconds.toFixed(2)), cpu_seconds: Number(r.cpuSeconds.toFixed(2)), load_average: r.load, studies: r.run.studies, steps: Object.fromEntries(r.run.steps.map((s) => [s.step, Number(s.seconds.toFixed(2))])) })),
    panels_90_days: last90,
    panels_year: year,
  });
  await store.close();
  if (!values.store) dir.remove();
  endProgress();
}
clearInterval(sampler);
console.log(JSON.stringify({ bench: 'national', machine: await machine(), results }, null, 2));
