/**
 * Events into chDB through the collector: over HTTP (POST /v1/events, answered
 * once stored) and through Kafka (the consumer group), each as a ratio to a raw
 * chDB JSONEachRow insert of the same rows measured in the same run; and the
 * latency from produce to queryable, p50/p99, for small batches.
 */
import { parseArgs } from 'node:util';
import { Session } from 'chdb';
import { Kafka, logLevel } from 'kafkajs';
import { startStack } from '../cli/index.ts';
import { eventToRow, sha256Hex } from '../collector/index.ts';
import { loadConfig } from '../config/index.ts';
import { KafkaSink } from '../orchestrator/index.ts';
import { toJsonEachRow } from '../store/index.ts';
import { sampleStudyEvents, startKafka, tempDir } from '../testing/index.ts';
import { endProgress, machine, median, percentile, progress, timeIt } from './bench-kit.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { values } = parseArgs({ options: { studies: { type: 'string', default: '10000' }, batch: { type: 'string', default: '5000' } } });
const studies = Number(values.studies);
const batchSize = Number(values.batch);
const say = progress('collector');

say('starting Kafka');
const broker = await startKafka();
const dir = tempDir('bench-collector');
const tokensFile = join(dir.path, 'tokens.json');
writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'bench', sha256: sha256Hex('bench-token-0123456789'), role: 'orchestrator' }] }));
const topic = `aifi.events.bench-${Date.now().toString(36)}`;
const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent', AIFI_COLLECTOR_TOKENS_FILE: tokensFile });
const stack = await startStack(config, { role: 'collector', port: 0 });
const store = stack.store!;
const raw = new Session(store.location);

say(`making ${studies} studies of events`);
const events = Array.from({ length: studies }, (_, i) => sampleStudyEvents(i)).flat();
const payload = toJsonEachRow(events.map(eventToRow));
const count = async () => (await store.query<{ n: number }>('SELECT count() AS n FROM events'))[0]!.n;
const reset = async () => {
  await store.exec('TRUNCATE TABLE events');
  await store.exec('TRUNCATE TABLE lifecycle');
};
async function rawInsert(): Promise<number> {
  await reset();
  return timeIt(() => raw.insert({ table: 'events', values: payload, format: 'JSONEachRow' }));
}

const rawMs: number[] = [];
say('raw chDB insert');
rawMs.push(await rawInsert());

say(`HTTP: ${events.length} events in batches of ${batchSize}, 4 senders`);
await reset();
const batches: string[] = [];
for (let i = 0; i < events.length; i += batchSize) batches.push(JSON.stringify(events.slice(i, i + batchSize)));
let next = 0;
const httpMs = await timeIt(async () => {
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const body = batches[next++]!;
        const response = await fetch(`${stack.url}/v1/events`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer bench-token-0123456789' } });
        if (response.status !== 202) throw new Error(`HTTP answered ${response.status}: ${await response.text()}`);
      }
    }),
  );
});
if ((await count()) !== events.length) throw new Error('HTTP: not every event stored');

say('raw chDB insert');
rawMs.push(await rawInsert());

say(`Kafka: producing ${events.length} events`);
await reset();
const sink = new KafkaSink(broker.brokers, topic, { warn: () => {} }, 'bench');
for (let i = 0; i < events.length; i += batchSize) await sink.send(events.slice(i, i + batchSize));
say('Kafka: consuming into chDB');
const { KafkaIngest } = await import('../collector/index.ts');
const ingest = new KafkaIngest({ brokers: broker.brokers, topic, collector: stack.collector!, log: { info() {}, warn() {}, error() {} } });
const kafkaMs = await timeIt(async () => {
  await ingest.start();
  while ((await count()) < events.length) await new Promise((r) => setTimeout(r, 20));
});

say('raw chDB insert');
rawMs.push(await rawInsert());

say('latency from produce to queryable (Kafka), 60 batches of 12');
await reset();
const latencies: number[] = [];
for (let i = 0; i < 60; i++) {
  const study = sampleStudyEvents(1_000_000 + i);
  const ids = study.map((e) => e.event_id);
  const t = performance.now();
  await sink.send(study);
  for (;;) {
    const [row] = await store.query<{ n: number }>('SELECT count() AS n FROM events WHERE event_id IN {ids:Array(UUID)}', { ids });
    if (row!.n === ids.length) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  latencies.push(performance.now() - t);
}
const httpLatencies: number[] = [];
for (let i = 0; i < 60; i++) {
  const body = JSON.stringify(sampleStudyEvents(2_000_000 + i));
  httpLatencies.push(
    await timeIt(async () => {
      const response = await fetch(`${stack.url}/v1/events`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer bench-token-0123456789' } });
      if (response.status !== 202) throw new Error(`HTTP answered ${response.status}`);
    }),
  );
}
endProgress();

await ingest.stop();
await sink.close();
raw.close();
await stack.close();
await broker.stop();
dir.remove();

const rate = (ms: number) => events.length / (ms / 1000);
const rawRate = rate(median(rawMs));
console.log(
  JSON.stringify(
    {
      bench: 'collector',
      machine: await machine(),
      events: events.length,
      raw_chdb_events_per_s: Math.round(rawRate),
      http_events_per_s: Math.round(rate(httpMs)),
      kafka_events_per_s: Math.round(rate(kafkaMs)),
      ratio_http_to_raw: Number((rate(httpMs) / rawRate).toFixed(2)),
      ratio_kafka_to_raw: Number((rate(kafkaMs) / rawRate).toFixed(2)),
      kafka_produce_to_queryable_ms: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
      http_request_to_stored_ms: { p50: Math.round(percentile(httpLatencies, 50)), p99: Math.round(percentile(httpLatencies, 99)) },
    },
    null,
    2,
  ),
);
