import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventToRow, sha256Hex } from '../collector/index.ts';
import { loadConfig } from '../config/index.ts';
import type { AifiEvent } from '../events/index.ts';
import { KafkaSink, syntheticStudy } from '../orchestrator/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import { collectorProcess, kafkaInstalled, needService, rowsWritten, sampleStudyEvents, startKafka, storedFigures as figures, tempDir, waitFor, type KafkaBroker } from '../testing/index.ts';
import { startStack } from './index.ts';

const available = await needService('Kafka (jars from Maven Central, deploy/kafka)', kafkaInstalled);
const quiet = { warn: () => {} };

describe.skipIf(!available)('the distributed mode (Kafka between orchestrator and collector)', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka();
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it('loses nothing and counts nothing twice when the collector is killed mid-stream', async () => {
    const dir = tempDir('crash');
    const topic = `aifi.events.crash-${Date.now().toString(36)}`;
    // A 12 s session (the writer's four attempts retry for 1.4 s): the dead member's partitions move 12 s after its kill, not 33 s.
    const env = { AIFI_DATA_DIR: dir.path, AIFI_KAFKA_BROKERS: broker.brokers[0]!, AIFI_KAFKA_TOPIC: topic, AIFI_KAFKA_SESSION_MS: '12000', AIFI_COLLECTOR_WRITE_ATTEMPTS: '4', AIFI_LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true' };
    const studies = Array.from({ length: 400 }, (_, i) => sampleStudyEvents(i));
    const events: AifiEvent[] = studies.flat();
    const sink = new KafkaSink(broker.brokers, topic, quiet);
    const children: ChildProcess[] = [];
    try {
      let first = await collectorProcess(env);
      children.push(first.child);
      let produced = 0;
      const producing = (async () => {
        for (const study of studies) {
          await sink.send(study);
          produced += study.length;
          await new Promise((r) => setTimeout(r, 4));
        }
      })();
      await waitFor('the collector to write some rows', async () => (await rowsWritten(first.url, dir.path)) > 0, 60_000, 50);
      const writtenBeforeKill = await rowsWritten(first.url, dir.path);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(writtenBeforeKill).toBeLessThan(events.length);
      expect(produced).toBeLessThan(events.length);

      const second = await collectorProcess(env);
      children.push(second.child);
      await producing;
      const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      // The dead member's partitions move once its session has run out (longer than the writer's retries).
      await waitFor(
        'the consumer group to catch up',
        async () => {
          const [ends, done] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: 'aifi-collector', topics: [topic] })]);
          const committed = new Map(done[0]!.partitions.map((p) => [p.partition, p.offset]));
          return ends.every((p) => committed.get(p.partition) === p.high);
        },
        100_000,
        250,
      );
      await admin.disconnect();
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      first = second;

      const recovered = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
      const [row] = await recovered.query<{ n: number; distinct: number }>('SELECT count() AS n, uniqExact(event_id) AS distinct FROM events FINAL');
      const after = await figures(recovered);
      await recovered.close();
      expect(row).toEqual({ n: events.length, distinct: events.length });

      // The same events written once, without a crash, give the same figures.
      const reference = new EmbeddedStore({ path: join(dir.path, 'reference') });
      await migrate(reference);
      await reference.insert('events', events.map(eventToRow));
      const expected = await figures(reference);
      await reference.close();
      expect(after).toEqual(expected);
      expect(after.lifecycle).toHaveLength(800);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await sink.close();
      dir.remove();
    }
  }, 180_000);

  it('carries a study from STOW-RS through Kafka into ClickHouse', async () => {
    const dir = tempDir('kafka-e2e');
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_KAFKA_BROKERS: broker.brokers[0]!, AIFI_KAFKA_TOPIC: `aifi.events.e2e-${Date.now().toString(36)}`, AIFI_STUDY_QUIET_MS: '100', AIFI_LOG_LEVEL: 'silent' });
    const collector = await startStack(config, { role: 'collector', port: 0 });
    const orchestrator = await startStack(config, { role: 'orchestrator', port: 0, dicomPort: null });
    try {
      const token = (await import('../orchestrator/index.ts')).loadSecrets(config.orchestrator.secretsFile, ['zgt']).get('zgt')!.token;
      const study = syntheticStudy({ modality: 'DX', bodyPart: 'ELBOW', patientAge: '012Y' });
      const body = Buffer.concat([Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\n'), study.files[0]!, Buffer.from('\r\n--b--\r\n')]);
      const response = await fetch(`${orchestrator.url}/dicomweb/studies`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/related; type="application/dicom"; boundary=b' } });
      expect(response.status).toBe(200);
      const rows = await waitFor('the events in ClickHouse', async () => {
        const r = await collector.store!.query<{ product: string; routing_outcome: string; received_at: string }>("SELECT product, routing_outcome, received_at FROM study_product_lifecycle WHERE hospital = 'zgt' ORDER BY product");
        return r.length === 3 && r;
      }, 30_000);
      expect(rows.map((r) => [r.product, r.routing_outcome])).toEqual([['bonexpert', 'not_eligible'], ['cina-ipe', 'not_eligible'], ['rbfracture', 'routed']]);
      expect(rows.every((r) => r.received_at !== null)).toBe(true);
      expect(((await (await fetch(`${collector.url}/readyz`)).json()) as { checked: string[] }).checked).toEqual(['clickhouse', 'kafka']);
    } finally {
      await orchestrator.close();
      await collector.close();
      dir.remove();
    }
  });
});

describe('the orchestrator sending to a remote collector over HTTP', () => {
  it('delivers events with the sender token, which the collector checks', async () => {
    const dir = tempDir('http-sink');
    const tokensFile = join(dir.path, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'orchestrator', sha256: sha256Hex('orchestrator-secret-123'), source: 'orchestrator', role: 'orchestrator' }] }));
    const base = { AIFI_DATA_DIR: dir.path, AIFI_STUDY_QUIET_MS: '100', AIFI_LOG_LEVEL: 'silent', AIFI_COLLECTOR_TOKENS_FILE: tokensFile };
    const collector = await startStack(loadConfig(base), { role: 'collector', port: 0 });
    const orchestratorConfig = loadConfig({ ...base, AIFI_COLLECTOR_URL: collector.url, AIFI_COLLECTOR_TOKEN: 'orchestrator-secret-123' });
    const orchestrator = await startStack(orchestratorConfig, { role: 'orchestrator', port: 0, dicomPort: null });
    try {
      const { intake } = orchestrator.orchestrator!;
      const { readInstanceHeader } = await import('../orchestrator/index.ts');
      intake.receive(intake.hospital('radboudumc')!, 'automatic', readInstanceHeader(syntheticStudy({ modality: 'CT', bodyPart: 'CHEST', patientAge: '055Y', contrastAgent: 'X' }).files[0]!), 'stow');
      const rows = await waitFor('the events in ClickHouse', async () => {
        const r = await collector.store!.query<{ type: string; source: string }>("SELECT type, source FROM events WHERE hospital = 'radboudumc' AND type IN ('study.received', 'study.routed')");
        return r.length === 4 && r;
      }, 20_000);
      expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['orchestrator']));
      const refused = await fetch(`${collector.url}/v1/events`, { method: 'POST', body: '[]', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' } });
      expect(refused.status).toBe(401);
    } finally {
      await orchestrator.close();
      await collector.close();
      dir.remove();
    }
  });
});
