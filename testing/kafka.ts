import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, startService, tempDir } from './services.ts';

const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'kafka');

/** Throws unless the Kafka jars have been fetched from Maven Central (deploy/kafka/pom.xml). */
export function kafkaInstalled(): void {
  const lib = join(DEPLOY, 'lib');
  if (!existsSync(lib) || !readdirSync(lib).some((f) => /^kafka_2\.13-.*\.jar$/.test(f))) {
    throw new Error('Kafka jars missing: run  mvn -q -f deploy/kafka/pom.xml dependency:copy-dependencies');
  }
}

export interface KafkaBroker {
  brokers: string[];
  stop: () => Promise<void>;
}

/** Starts a single-node Kafka (KRaft) on 127.0.0.1 with deploy/kafka/start.sh, its own storage and free ports. */
export async function startKafka(): Promise<KafkaBroker> {
  const dir = tempDir('kafka');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const brokers = [`127.0.0.1:${port}`];
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    const broker = await startService(
      'Kafka',
      join(DEPLOY, 'start.sh'),
      [dir.path, String(port), String(controllerPort)],
      dir,
      async () => {
        await admin.connect();
        await admin.describeCluster();
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    return { brokers, stop: broker.stop };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
