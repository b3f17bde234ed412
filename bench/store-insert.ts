/**
 * Insert rate into the raw events table: through the store (rows → JSONEachRow
 * → chDB, with the lifecycle materialized view) versus a raw chDB JSONEachRow
 * insert of the same, already serialised rows into the same table. Rounds
 * alternate so that machine noise hits both sides alike; the ratio is the figure.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'chdb';
import { eventToRow } from '../collector/index.ts';
import { EmbeddedStore, migrate, toJsonEachRow } from '../store/index.ts';
import { sampleStudyEvents, tempDir } from '../testing/index.ts';
import { endProgress, machine, median, progress, timeIt } from './bench-kit.ts';

const { values } = parseArgs({ options: { studies: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const studies = Number(values.studies);
const rounds = Number(values.rounds);

const dir = tempDir('bench-store');
const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
await migrate(store);
const raw = new Session(store.location);

const say = progress('store-insert');
say(`making ${studies} studies of events`);
const rows = Array.from({ length: studies }, (_, i) => sampleStudyEvents(i)).flat().map(eventToRow);
const payload = toJsonEachRow(rows);

const storeMs: number[] = [];
const rawMs: number[] = [];
for (let round = 1; round <= rounds; round++) {
  say(`round ${round}/${rounds}`);
  await store.exec('TRUNCATE TABLE events');
  await store.exec('TRUNCATE TABLE lifecycle');
  storeMs.push(await timeIt(() => store.insert('events', rows)));
  await store.exec('TRUNCATE TABLE events');
  await store.exec('TRUNCATE TABLE lifecycle');
  rawMs.push(await timeIt(() => raw.insert({ table: 'events', values: payload, format: 'JSONEachRow' })));
}
endProgress();
const [check] = await store.query<{ n: number }>('SELECT count() AS n FROM events');
if (check?.n !== rows.length) throw new Error(`expected ${rows.length} rows, found ${check?.n}`);

const storeRate = rows.length / (median(storeMs) / 1000);
const rawRate = rows.length / (median(rawMs) / 1000);
const result = {
  bench: 'store-insert',
  machine: await machine(),
  rows: rows.length,
  rounds,
  store_rows_per_s: Math.round(storeRate),
  raw_chdb_rows_per_s: Math.round(rawRate),
  ratio_store_to_raw: Number((storeRate / rawRate).toFixed(2)),
};
console.log(JSON.stringify(result, null, 2));
raw.close();
await store.close();
dir.remove();
