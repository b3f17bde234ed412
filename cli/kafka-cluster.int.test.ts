import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRow } from '../collector/index.ts';
import type { AifiEvent } from '../events/index.ts';
import { EventEmitter, KafkaSink } from '../orchestrator/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import {
  collectorProcess,
  consumerGroupLag,
  kafkaInstalled,
  needService,
  rowsWritten,
  sampleStudyEvents,
  startKafkaCluster,
  storedFigures,
  tempDir,
  waitFor,
  type CollectorProcess,
  type KafkaCluster,
} from '../testing/index.ts';

const available = await needService('Kafka (jars from Maven Central, deploy/kafka)', kafkaInstalled);
const quiet = { warn: () => {} };

// Three KRaft nodes on loopback; two collectors in one consumer group. No current ClickHouse
// server runs here, so each collector writes its own embedded engine, standing for the shard it
// writes to; the two are read together afterwards (a replay after a move of partitions lands in
// the other collector's engine, where a cluster's hospital sharding would have put it beside the
// first copy, which ReplacingMergeTree then collapses).
describe.skipIf(!available)('a Kafka cluster of three nodes and two collectors', () => {
  let kafka: KafkaCluster;
  beforeAll(async () => {
    kafka = await startKafkaCluster(3);
  }, 200_000);
  afterAll(async () => {
    await kafka?.stop();
  });

  it('stores exactly the events sent while a broker is killed and restarted and a collector is SIGKILLed and restarted', async () => {
    const dir = tempDir('kafka-cluster');
    const topic = `aifi.events.cluster-${Date.now().toString(36)}`;
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    const meta = await waitFor(
      'the topic with a leader for each partition',
      async () => {
        const t = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0];
        return t && t.partitions.length === 6 && t.partitions.every((p) => p.leader >= 0 && p.isr.length === 3) && t;
      },
      60_000,
      250,
    );
    expect(meta.partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3, 3, 3, 3]);
    await admin.disconnect();
    // Every node knows the topic before a collector asks any of them (metadata spreads by the controller).
    for (const broker of kafka.brokers) {
      const one = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING }).admin();
      await one.connect();
      await waitFor(`${broker} to know ${topic}`, async () => (await one.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length === 6, 60_000, 250);
      await one.disconnect();
    }

    const dataDirs = [join(dir.path, 'collector-a'), join(dir.path, 'collector-b')];
    // A 12 s session (the writer's four attempts retry for 1.4 s): the killed collector's partitions move 12 s after its kill, not 33 s.
    const env = (i: number) => ({
      AIFI_DATA_DIR: dataDirs[i]!, AIFI_KAFKA_BROKERS: kafka.brokers.join(','), AIFI_KAFKA_TOPIC: topic, AIFI_KAFKA_SESSION_MS: '12000', AIFI_COLLECTOR_WRITE_ATTEMPTS: '4', AIFI_LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true',
    });
    const studies = Array.from({ length: 240 }, (_, i) => sampleStudyEvents(i));
    const events: AifiEvent[] = studies.flat();
    const sink = new KafkaSink(kafka.brokers, topic, quiet);
    // The orchestrator's own emitter: what Kafka refuses while leaders move is sent again.
    const givenUp: unknown[] = [];
    const retried: unknown[] = [];
    const emitter = new EventEmitter(sink, { warn: (o: unknown) => retried.push(o), error: (o: unknown) => givenUp.push(o) }, { maxAttempts: 20, baseDelayMs: 200, maxDelayMs: 5_000 });
    const collectors: CollectorProcess[] = [];
    let produced = 0;
    const t0 = Date.now();
    const step = (what: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what} (${produced} events sent)`);
    const send = async (from: number, to: number) => {
      for (const study of studies.slice(from, to)) {
        await emitter.emit(study);
        produced += study.length;
      }
    };
    try {
      collectors.push(await collectorProcess(env(0)), await collectorProcess(env(1)));
      await send(0, 40);
      await waitFor('both collectors to write rows', async () => (await rowsWritten(collectors[0]!.url, dataDirs[0]!)) > 0 && (await rowsWritten(collectors[1]!.url, dataDirs[1]!)) > 0, 90_000, 250);

      // A broker dies mid-stream: the producer goes on with two in-sync replicas.
      step('killing broker 2');
      await kafka.kill(1, 'SIGKILL');
      const producedBeforeBrokerKill = produced;
      await send(40, 90);
      const producedWhileBrokerDown = produced;
      step('restarting broker 2');
      const restarting = kafka.restart(1);
      await send(90, 120);
      await restarting;
      step('broker 2 back in sync');

      // A collector dies mid-stream, and comes back on its data folder.
      const writtenBeforeKill = await rowsWritten(collectors[0]!.url, dataDirs[0]!);
      step('SIGKILL collector A');
      collectors[0]!.child.kill('SIGKILL');
      await collectors[0]!.exited;
      await send(120, 180);
      collectors[0] = await collectorProcess(env(0));
      step('collector A restarted');
      await send(180, studies.length);
      expect(produced).toBe(events.length);
      expect(givenUp).toEqual([]);

      step('all sent');
      // The dead member's partitions move once its session has run out.
      await waitFor('the consumer group to catch up', async () => (await consumerGroupLag(kafka.brokers, 'aifi-collector', topic)) === 0, 300_000, 500);
      step('consumer lag 0');
      const lag = await consumerGroupLag(kafka.brokers, 'aifi-collector', topic);
      for (const c of collectors) c.child.kill('SIGTERM');
      expect(await Promise.all(collectors.map((c) => c.exited))).toEqual([0, 0]);

      // Each collector's engine, then the two together.
      const exported: Buffer[] = [];
      const perCollector: { rows: number; distinct: number }[] = [];
      for (const data of dataDirs) {
        const store = new EmbeddedStore({ path: join(data, 'clickhouse') });
        const [r] = await store.query<{ rows: number; distinct: number }>('SELECT count() AS rows, uniqExact(event_id) AS distinct FROM events');
        perCollector.push({ rows: Number(r!.rows), distinct: Number(r!.distinct) });
        exported.push(Buffer.from(await store.queryText('SELECT * EXCEPT ingested_at FROM events', 'JSONEachRow')));
        await store.close();
      }
      const together = new EmbeddedStore({ path: join(dir.path, 'together') });
      await migrate(together);
      for (const payload of exported) await together.insertJsonEachRow('events', payload);
      const [stored] = await together.query<{ n: number; distinct: number }>('SELECT count() AS n, uniqExact(event_id) AS distinct FROM events FINAL');
      const after = await storedFigures(together);
      await together.close();

      // The same events written once, without a crash, give the same figures.
      const reference = new EmbeddedStore({ path: join(dir.path, 'reference') });
      await migrate(reference);
      await reference.insert('events', events.map(eventToRow));
      const expected = await storedFigures(reference);
      await reference.close();

      console.log(
        `kafka cluster: ${events.length} events sent (${producedWhileBrokerDown - producedBeforeBrokerKill} while a broker was down; ${writtenBeforeKill} written by collector A before its SIGKILL); ` +
          `stored per collector ${perCollector.map((p) => `${p.rows} rows / ${p.distinct} distinct`).join(', ')}; ` +
          `together ${stored!.distinct} distinct of ${stored!.n} rows after FINAL; lifecycle rows ${after.lifecycle.length} (crash-free: ${expected.lifecycle.length}); consumer lag ${lag}; sends retried ${retried.length}`,
      );
      expect(writtenBeforeKill).toBeGreaterThan(0);
      expect(writtenBeforeKill).toBeLessThan(events.length);
      expect(perCollector.every((p) => p.distinct > 0)).toBe(true);
      expect(perCollector.reduce((s, p) => s + p.rows, 0)).toBeGreaterThanOrEqual(events.length);
      expect(stored).toEqual({ n: events.length, distinct: events.length });
      expect(lag).toBe(0);
      expect(after).toEqual(expected);
      expect(after.lifecycle).toHaveLength(studies.length * 2);
    } finally {
      for (const c of collectors) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await sink.close();
      dir.remove();
    }
  }, 900_000);
});
