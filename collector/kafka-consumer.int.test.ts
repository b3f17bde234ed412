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
    ingest = new KafkaIngest({ brokers: broker.brokers, topic, collector, log: quiet, pauseMs: 300, lagIntervalMs: 500, fetchWaitMs: 100 });
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

  /** Inserts given up so far: each is one round of a batch refused while storage is down. */
  const givenUp = async () =>
    (await collector.metrics.flushFailures.get()).values.filter((v) => v.labels.final === 'true').reduce((n, v) => n + v.value, 0);

  /** Every dead letter on the topic so far (at least `atLeast`), read by a fresh group from the start. */
  async function deadLetters(atLeast: number): Promise<{ value: string; reason: string; path: string }[]> {
    const admin = kafka.admin();
    await admin.connect();
    const end = (await admin.fetchTopicOffsets(ingest.dlq)).reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    const dead: { value: string; reason: string; path: string }[] = [];
    const reader = kafka.consumer({ groupId: `dlq-reader-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: ingest.dlq, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dead.push({ value: message.value!.toString(), reason: String(message.headers!['x-aifi-reason']), path: String(message.headers!['x-aifi-path']) });
      },
    });
    await waitFor(`${Math.max(atLeast, end)} dead letters`, () => dead.length >= Math.max(atLeast, end), 30_000);
    await reader.disconnect();
    return dead;
  }

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

    const dead = await deadLetters(2);
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
    const before = await givenUp();
    await waitFor('three rounds refused while storage is down', async () => (await givenUp()) >= before + 3, 20_000);
    expect(await ingest.measureLag()).toBe(events.length);
    outage.down = false;
    await waitFor('every event in ClickHouse', async () => (await count(events.map((e) => e.event_id))) === events.length, 30_000);
    await waitFor('the offsets committed', async () => (await ingest.measureLag()) === 0, 20_000);
    const [row] = await store.query<{ n: number }>('SELECT count() AS n FROM events FINAL WHERE event_id IN {ids:Array(UUID)}', { ids: events.map((e) => e.event_id) });
    expect(row!.n).toBe(events.length);
  });

  it('sends a dead letter once, after the batch is stored, however often storage refused it before', async () => {
    const deadBefore = (await deadLetters(0)).length;
    outage.down = true;
    const valid = sampleStudyEvents(6);
    const invalid = { ...exampleEvent('verdict.recorded'), agreement: 'maybe' };
    await producer.send({ topic, acks: -1, messages: [...valid, invalid].map((e) => ({ key: 'replay', value: JSON.stringify(e) })) });
    const before = await givenUp();
    await waitFor('three rounds refused while storage is down', async () => (await givenUp()) >= before + 3, 20_000);
    outage.down = false;
    await waitFor('the valid events in ClickHouse', async () => (await count(valid.map((e) => e.event_id))) === valid.length, 30_000);
    await waitFor('the offsets committed', async () => (await ingest.measureLag()) === 0, 20_000);
    const dead = await deadLetters(deadBefore + 1);
    expect(dead.filter((d) => d.path === 'agreement')).toHaveLength(1);
    expect(dead).toHaveLength(deadBefore + 1);
  });

  it("waits for room when the write queue is full instead of pausing as for an outage, and outlasts the writer's retries", async () => {
    // A collector whose queue holds 40 rows and writes only when told, and a consumer that would rest 10 minutes after an outage.
    const small = new Collector(store, quiet, { maxQueueRows: 40, maxBatchRows: 40, flushIntervalMs: 600_000 });
    const smallTopic = `${topic}.small`;
    const slow = new KafkaIngest({ brokers: broker.brokers, topic: smallTopic, groupId: `small-${Date.now()}`, collector: small, log: quiet, pauseMs: 600_000, fetchWaitMs: 100 });
    expect(slow.sessionTimeoutMs).toBeGreaterThan(small.writer.maxRetryMs);
    // A session set shorter than the writer's retries and 10 s is refused, naming the settings; one long enough is used.
    const options = { brokers: broker.brokers, topic: smallTopic, collector: small, log: quiet };
    expect(() => new KafkaIngest({ ...options, sessionTimeoutMs: small.writer.maxRetryMs + 9_000 })).toThrow(/AIFI_KAFKA_SESSION_MS.*at least \d+ ms, or fewer AIFI_COLLECTOR_WRITE_ATTEMPTS/);
    expect(new KafkaIngest({ ...options, sessionTimeoutMs: small.writer.maxRetryMs + 10_000 }).sessionTimeoutMs).toBe(small.writer.maxRetryMs + 10_000);
    await slow.start();
    try {
      const filler = [7, 8, 9].flatMap((i) => sampleStudyEvents(i)).slice(0, 35);
      const filled = small.accept(filler, 'in-process');
      const events = sampleStudyEvents(10);
      await producer.send({ topic: smallTopic, acks: -1, messages: events.map((e) => ({ key: 'full', value: JSON.stringify(e) })) });
      await waitFor('the consumer to have the batch in hand', async () => (await slow.measureLag()) === events.length, 20_000);
      await small.writer.flush();
      await filled.stored;
      await waitFor('the batch stored once there is room', async () => {
        await small.writer.flush();
        return (await count(events.map((e) => e.event_id))) === events.length;
      }, 20_000);
      await waitFor('the offsets committed', async () => (await slow.measureLag()) === 0, 20_000);
    } finally {
      await slow.stop();
      await small.shutdown();
    }
  }, 60_000);
});
