import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort, startProcess, startService, tempDir, waitFor, type RunningProcess } from './services.ts';

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

/**
 * The JVM of a test's broker: it lives for seconds to minutes, so only the quick compiler (C1)
 * compiles, on one thread, and the heap is collected serially; a long-running broker would want
 * the defaults of deploy/kafka/start.sh.
 */
const TEST_JVM = { KAFKA_JVM_OPTS: '-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UseG1GC -XX:+UseSerialGC' };

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
      { timeoutMs: 90_000, intervalMs: 500, env: { ...process.env, ...TEST_JVM } },
    );
    return { brokers, stop: broker.stop };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface KafkaCluster {
  brokers: string[];
  /** Node i (0-based) stopped by its pid with `signal`, and waited for. */
  kill: (node: number, signal?: NodeJS.Signals) => Promise<void>;
  /** Node i started again on its storage; resolves once the cluster has it back in every partition's in-sync replicas. */
  restart: (node: number) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Starts `nodes` (1-3) Kafka KRaft nodes on 127.0.0.1 with deploy/kafka/start.sh, each broker and
 * controller, with one cluster id, their own storage and free ports; resolves once all have joined.
 */
export async function startKafkaCluster(nodes: number): Promise<KafkaCluster> {
  const dir = tempDir('kafka-cluster');
  const ports = await Promise.all(Array.from({ length: nodes }, async () => [await freePort(), await freePort()] as const));
  const brokers = ports.map(([p]) => `127.0.0.1:${p}`);
  const voters = ports.map(([, c], i) => `${i + 1}@127.0.0.1:${c}`).join(',');
  const clusterId = execFileSync('java', ['-cp', `${join(DEPLOY, 'lib')}/*`, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim();
  const running: (RunningProcess | null)[] = [];
  const start = (i: number) => {
    const data = join(dir.path, `node-${i + 1}`);
    mkdirSync(data, { recursive: true });
    const env = { ...process.env, KAFKA_NODE_ID: String(i + 1), KAFKA_VOTERS: voters, KAFKA_CLUSTER_ID: clusterId, KAFKA_HEAP: '384m', ...TEST_JVM };
    running[i] = startProcess(join(DEPLOY, 'start.sh'), [data, String(ports[i]![0]), String(ports[i]![1])], { cwd: data, env });
  };
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  const stopAll = async () => {
    await admin.disconnect().catch(() => {});
    await Promise.all(running.map((p) => p?.stop()));
    dir.remove();
  };
  const joined = (count: number) =>
    waitFor(
      `${count} Kafka node(s) to join the cluster`,
      async () => {
        for (const [i, p] of running.entries()) if (p && p.child.exitCode !== null) throw new Error(`Kafka node ${i + 1} exited: ${p.output().slice(-2000)}`);
        await admin.connect();
        return (await admin.describeCluster()).brokers.length === count;
      },
      150_000,
      500,
    );
  try {
    for (let i = 0; i < nodes; i++) start(i);
    await joined(nodes);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    brokers,
    kill: async (node, signal = 'SIGKILL') => {
      await running[node]?.stop(signal);
      running[node] = null;
    },
    restart: async (node) => {
      start(node);
      await joined(nodes);
      await waitFor(
        `Kafka node ${node + 1} back in every partition's in-sync replicas`,
        async () => {
          const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
          const meta = await admin.fetchTopicMetadata({ topics });
          return meta.topics.every((t) => t.partitions.every((p) => p.isr.includes(node + 1)));
        },
        150_000,
        500,
      );
    },
    stop: stopAll,
  };
}
