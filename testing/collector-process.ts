import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Store } from '../store/index.ts';

export interface CollectorProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Runs `aifi collector` as a child process; resolves with its URL once it listens. */
export function collectorProcess(env: NodeJS.ProcessEnv): Promise<CollectorProcess> {
  const child = spawn(process.execPath, ['bin/aifi.mjs', 'collector', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(output);
      if (m) resolve({ child, url: m[1]!, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`the collector exited (${code}) before listening:\n${output.slice(-3000)}`)));
  });
}

/** The collector's rows written, from its /metrics with the scrape token it made in its data folder. */
export async function rowsWritten(url: string, dataDir: string): Promise<number> {
  const token = readFileSync(join(dataDir, 'metrics-token'), 'utf8').trim();
  const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  return Number(/aifi_collector_rows_written_total\{table="events"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

/** What analytics read: counts per type and the whole lifecycle view. */
export async function storedFigures(store: Store) {
  return {
    counts: await store.query('SELECT type, count() AS n, uniqExact(event_id) AS ids FROM events FINAL GROUP BY type ORDER BY type'),
    lifecycle: await store.query('SELECT * FROM study_product_lifecycle ORDER BY hospital, study_key, product'),
  };
}

/** The consumer group's lag on `topic`, summed over partitions (high watermark minus committed offset). */
export async function consumerGroupLag(brokers: string[], groupId: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [ends, done] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const committed = new Map(done[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((sum, p) => sum + Number(p.high) - Math.max(0, committed.get(p.partition) ?? 0), 0);
  } finally {
    await admin.disconnect();
  }
}
