import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleEvent } from '../events/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import { kafkaInstalled, needService, outageSwitch, sampleStudyEvents, startKafka, tempDir, waitFor, type KafkaBroker } from '../testing/index.ts';
import { Collector, KafkaIngest } from './index.ts';

const available = await needService('Kafka (jars from Maven Central, deploy/kafka)', kafkaInstalled);

describe.skipIf(!available)('the Kafka consumer group', () => {
  const dir = tempDir('kafka-ingest');
  const topic = `aifi.events.test-${Date.now().toString(36)}`;
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  let broker: KafkaBroker;
  let store: EmbeddedStore;
  let outage: ReturnType<typeof outageSwitch>;
  let collector: Collector;
  let ingest: KafkaIngest;
  let producer: Producer;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startKafka();
    store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
    await migrate(store);
    outage = outageSwitch(store);
    collector = new Collector(outage.store, quiet, { flushIntervalMs: 100, baseDelayMs: 20, maxDelayMs: 50, maxAttempts: 2 });
    ingest = new KafkaIngest({ brokers: broker.brokers, topic, collector, log: quiet, pauseMs: 300, lagIntervalMs: 500 });
    await ingest.start();
    kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }, 120_000);
  afterAll(async () => {
    await producer?.disconnect();
    await ingest?.stop();
    await collector?.shutdown();
    await store?.close();
    await broker?.stop();
    dir.remove();
  });

  const count = async (ids: string[]) =>
    (await store.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events WHERE event_id IN {ids:Array(UUID)}', { ids }))[0]!.n;

  it('stores valid events, sends the rest to the dead-letter topic with the reason, and commits', async () => {
    const valid = sampleStudyEvents(1);
    const invalid = { ...exampleEvent('inference.completed'), score: 3 };
    await producer.send({
      topic,
      acks: -1,
      messages: [
        ...valid.slice(0, 6).map((e) => ({ key: 'k', value: JSON.stringify(e) })),
        { key: 'k', value: '{not json' },
        { key: 'k', value: JSON.stringify(invalid) },
        ...valid.slice(6).map((e) => ({ key: 'k', value: JSON.stringify(e) })),
      ],
    });
    await waitFor('the valid events in ClickHouse', async () => (await count(valid.map((e) => e.event_id))) === valid.length, 30_000);

    const dead: { value: string; reason: string; path: string }[] = [];
    const reader = kafka.consumer({ groupId: `dlq-reader-${Date.now()}` });
    await reader.connect();
    await reader.subscribe({ topic: ingest.dlq, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dead.push({ value: message.value!.toString(), reason: String(message.headers!['x-aifi-reason']), path: String(message.headers!['x-aifi-path']) });
      },
    });
    await waitFor('two dead letters', () => dead.length === 2, 30_000);
    await reader.disconnect();
    expect(dead.map((d) => d.path).sort()).toEqual(['(root)', 'score']);
    expect(dead.find((d) => d.path === 'score')!.reason).toMatch(/score: Too big/);
    expect(dead.find((d) => d.path === '(root)')!.value).toBe('{not json');
    await waitFor('the offsets committed', async () => (await ingest.measureLag()) === 0, 20_000);
  });

  it('pauses while storage refuses writes, commits nothing meanwhile, and stores everything once it is back', async () => {
    outage.down = true;
    const events = [2, 3, 4, 5].flatMap((i) => sampleStudyEvents(i));
    await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: `${e.hospital}:${'study_key' in e ? e.study_key : ''}`, value: JSON.stringify(e) })) });
    await waitFor('the consumer to see the backlog', async () => (await ingest.measureLag()) === events.length, 20_000);
    await new Promise((r) => setTimeout(r, 1_000)); // several pause/retry rounds while storage is down
    expect(await ingest.measureLag()).toBe(events.length);
    outage.down = false;
    await waitFor('every event in ClickHouse', async () => (await count(events.map((e) => e.event_id))) === events.length, 30_000);
    await waitFor('the offsets committed', async () => (await ingest.measureLag()) === 0, 20_000);
    const [row] = await store.query<{ n: number }>('SELECT count() AS n FROM events FINAL WHERE event_id IN {ids:Array(UUID)}', { ids: events.map((e) => e.event_id) });
    expect(row!.n).toBe(events.length);
  });
});
