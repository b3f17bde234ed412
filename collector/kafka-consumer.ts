import type { FastifyBaseLogger } from 'fastify';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Kafka, logLevel, type Admin, type Batch, type Consumer, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import type { AifiEvent } from '../events/index.ts';
import { QueueFullError } from './batch-writer.ts';
import type { Collector, SenderScope } from './collector.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaIngestOptions {
  brokers: string[];
  topic: string;
  /** Dead-letter topic for messages that can never be valid (default `<topic>.dlq`). */
  dlqTopic?: string;
  groupId?: string;
  collector: Collector;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** How long a partition rests after a storage error before it is tried again (default 5 s). */
  pauseMs?: number;
  /** How often consumer lag is measured (default 10 s). */
  lagIntervalMs?: number;
  /** The hospitals that exist: an event of another goes to the dead-letter topic (default: no check). */
  hospitals?: readonly string[];
  /** How long each client may take to close at shutdown (default CLOSE_MS). */
  closeMs?: number;
  /**
   * How long a fetch waits at the broker for new messages (kafkajs's maxWaitTimeInMs, default 5 s). A
   * partition resumed after a pause is fetched with the next request, so a resume may wait this long.
   */
  fetchWaitMs?: number;
  /**
   * How long the group waits for a silent member before it moves its partitions (default: 30 s, or
   * the writer's retries and 10 s if longer). It must outlast the writer's retries by 10 s.
   */
  sessionTimeoutMs?: number;
}

/** How long each Kafka client may take to close before the collector goes on without it. */
export const CLOSE_MS = 20_000;

/**
 * The last step, at shutdown: disconnects the clients one after another, each
 * within `boundMs`. kafkajs's consumer may never finish leaving its group when
 * it is reconnecting to a broker that went away or a rebalance is under way
 * (kafkajs issues #1147 and #1462); a collector that waited would never exit.
 * Going on without it loses nothing: offsets are committed only after their
 * events are stored, so what was not committed is delivered again (and is
 * deduplicated by event_id), and the group moves the partitions after its
 * session timeout. A client that did not close in time is named in a warning.
 */
export async function closeClients(clients: readonly { name: string; disconnect: () => Promise<void> }[], boundMs: number, log: { warn: (fields: object, message: string) => void }): Promise<void> {
  for (const client of clients) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), boundMs)));
    const closed = client.disconnect().then(
      () => 'closed' as const,
      (error: Error) => {
        log.warn({ client: client.name, reason: error.message }, `kafka ${client.name} failed to close`);
        return 'closed' as const;
      },
    );
    const outcome = await Promise.race([closed, late]);
    clearTimeout(timer);
    if (outcome === 'late') log.warn({ client: client.name, waitedMs: boundMs }, `kafka ${client.name} did not close within ${boundMs} ms; going on without it (uncommitted messages are delivered again)`);
  }
}

/** A message that can never be stored, and why. */
export interface DeadLetter {
  message: KafkaMessage;
  reason: string;
  path: string;
}

/** What classification makes of a batch: the events that satisfy the contract (with their message), and the dead letters of the others. */
export interface Classified {
  valid: { message: KafkaMessage; event: AifiEvent }[];
  dead: DeadLetter[];
}

/** Step one of a batch: decodes each message and checks it against the contract (`Collector.validate`), each once. */
export function classify(messages: readonly KafkaMessage[], collector: Pick<Collector, 'validate'>): Classified {
  const decoded: { message: KafkaMessage; input: unknown }[] = [];
  const dead: DeadLetter[] = [];
  for (const message of messages) {
    try {
      decoded.push({ message, input: JSON.parse(message.value?.toString('utf8') ?? '') });
    } catch (error) {
      dead.push({ message, reason: `not JSON: ${(error as Error).message}`, path: '(root)' });
    }
  }
  const checked = collector.validate(decoded.map((d) => d.input), 'kafka');
  for (const r of checked.rejected) dead.push({ message: decoded[r.index]!.message, reason: r.reason, path: r.path });
  return { valid: checked.events.map((event, i) => ({ message: decoded[checked.indexes[i]!]!.message, event })), dead };
}

/**
 * Step two: queues the valid events for ClickHouse (waiting for room while
 * the queue is full, which is no outage, and heartbeating meanwhile) and
 * waits until they are stored. Resolves with the dead letters of the events
 * the collector refused (a hospital that does not exist, an implausible
 * time); rejects when storage gave them up.
 */
export async function storeValid(valid: Classified['valid'], collector: Collector, scope: SenderScope, heartbeat: () => Promise<void>): Promise<DeadLetter[]> {
  const beating = setInterval(() => void heartbeat().catch(() => {}), 1_000);
  const events = valid.map((v) => v.event);
  try {
    for (;;) {
      try {
        const intake = collector.admit(events, 'kafka', scope);
        await intake.stored;
        return intake.rejected.map((r) => ({ message: valid[r.index]!.message, reason: r.reason, path: r.path }));
      } catch (error) {
        if (!(error instanceof QueueFullError) || events.length > collector.writer.maxQueueRows) throw error;
        await collector.writer.whenRoomFor(Math.min(events.length, collector.writer.maxQueueRows));
      }
    }
  } finally {
    clearInterval(beating);
  }
}

/** Step three: the dead-letter topic's messages, each the original key and value with the reason and the origin in headers, in offset order. */
export function deadLetterMessages(dead: readonly DeadLetter[], topic: string, partition: number): Message[] {
  return [...dead]
    .sort((a, b) => (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1))
    .map(({ message, reason, path }) => ({
      key: message.key,
      value: message.value,
      headers: {
        'x-aifi-reason': reason.slice(0, 1000),
        'x-aifi-path': path,
        'x-aifi-source-topic': topic,
        'x-aifi-source-partition': String(partition),
        'x-aifi-source-offset': message.offset,
      },
    }));
}

/** Step four: the offset to commit once a batch is settled, the one after its last message. */
export function nextOffset(messages: readonly KafkaMessage[]): string {
  return (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
}

/** Retries the set-up of the topics while the cluster is still spreading them (retriable Kafka errors only). */
const TOPIC_SETUP = retry(
  handleWhen((error) => (error as { retriable?: boolean }).retriable === true),
  { maxAttempts: 10, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 3_000 }) },
);

/**
 * The collector's Kafka consumer group. Each batch of a partition goes through
 * steps settled in order: decode and validate; store the valid events (waiting
 * for room while the write queue is full, which is no outage); send what can
 * never be valid to the dead-letter topic with the reason in headers, only
 * once the batch is stored, so that a replay after a storage error sends no
 * dead letter twice; commit. On a storage error the partition pauses and
 * resumes later from the last committed offset, so nothing is lost; replays
 * are deduplicated downstream on event_id. The session outlasts the writer's
 * retries, and the consumer heartbeats while it waits, so a slow ClickHouse
 * causes no rebalance.
 */
export class KafkaIngest {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly dlqTopic: string;
  private readonly groupId: string;
  private lagTimer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly scope: SenderScope;
  /** How long the group waits for a silent member before it moves its partitions. */
  readonly sessionTimeoutMs: number;

  constructor(private readonly options: KafkaIngestOptions) {
    this.scope = options.hospitals ? { hospitals: new Set(options.hospitals) } : {};
    this.dlqTopic = options.dlqTopic ?? `${options.topic}.dlq`;
    this.groupId = options.groupId ?? 'aifi-collector';
    const log = options.log;
    this.kafka = new Kafka({
      clientId: 'aifi-collector',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => log.warn({ kafka: entry.log }, `kafka: ${entry.log.message}`),
      retry: { retries: 10, initialRetryTime: 300 },
    });
    // The session outlasts the writer's retries (heartbeats go on while a batch waits, too); a crashed member's
    // partitions move to a live one after it.
    const least = options.collector.writer.maxRetryMs + 10_000;
    if (options.sessionTimeoutMs !== undefined && options.sessionTimeoutMs < least) {
      throw new Error(
        `the Kafka session of ${options.sessionTimeoutMs} ms (AIFI_KAFKA_SESSION_MS) must outlast the writer's retries of ${options.collector.writer.maxRetryMs} ms by 10 s: ` +
          `set it to at least ${least} ms, or fewer AIFI_COLLECTOR_WRITE_ATTEMPTS`,
      );
    }
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? Math.max(30_000, least);
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: Math.max(60_000, this.sessionTimeoutMs),
      heartbeatInterval: 1_000,
      retry: { retries: 10 },
      ...(options.fetchWaitMs !== undefined && { maxWaitTimeInMs: options.fetchWaitMs }),
    });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.admin = this.kafka.admin();
  }

  get dlq(): string {
    return this.dlqTopic;
  }

  /** Whether the brokers answer (for readiness). */
  async ping(): Promise<void> {
    await this.admin.describeCluster();
  }

  async start(): Promise<void> {
    await this.admin.connect();
    // On a cluster a topic just made (here or by another collector of the group)
    // reaches the other brokers a moment later: until then kafkajs says a broker
    // "does not host this topic-partition", a retriable error.
    await TOPIC_SETUP.execute(async () => {
      const existing = new Set(await this.admin.listTopics());
      const missing = [this.options.topic, this.dlqTopic].filter((t) => !existing.has(t));
      if (missing.length) await this.admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
      await this.admin.fetchTopicMetadata({ topics: [this.options.topic, this.dlqTopic] });
    });
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await this.settle(batch, heartbeat, resolveOffset);
      },
    });
    this.lagTimer = setInterval(() => void this.measureLag(), this.options.lagIntervalMs ?? 10_000);
    this.lagTimer.unref();
  }

  /** A batch of one partition through the steps, in order: classify, store, dead-letter, commit; on a storage error, pause. */
  private async settle(batch: Batch, heartbeat: () => Promise<void>, resolveOffset: (offset: string) => void): Promise<void> {
    const { topic, partition, messages } = batch;
    const { valid, dead } = classify(messages, this.options.collector);
    let refused: DeadLetter[];
    try {
      refused = await storeValid(valid, this.options.collector, this.scope, heartbeat);
    } catch (error) {
      this.pause(topic, partition, batch.firstOffset() ?? messages[0]!.offset, error as Error);
      return;
    }
    await this.deadLetter(topic, partition, [...dead, ...refused]);
    resolveOffset(messages[messages.length - 1]!.offset);
    await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset(messages) }]);
    await heartbeat();
  }

  /** Storage refused a batch: rests the partition, then reads it again from the batch's first offset (nothing after it was committed). */
  private pause(topic: string, partition: number, offset: string, error: Error): void {
    const wait = this.options.pauseMs ?? 5_000;
    this.options.log.warn({ topic, partition, wait_ms: wait, reason: error.message }, 'storage refused a batch; pausing the partition');
    this.consumer.pause([{ topic, partitions: [partition] }]);
    setTimeout(() => {
      if (!this.running) return;
      this.consumer.seek({ topic, partition, offset });
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }, wait).unref();
  }

  /** Once the batch is stored, what can never be stored goes to the dead-letter topic, acknowledged by every replica. */
  private async deadLetter(topic: string, partition: number, dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0) return;
    await this.producer.send({ topic: this.dlqTopic, acks: -1, messages: deadLetterMessages(dead, topic, partition) });
    for (const d of dead) this.options.collector.metrics.dlqMessages.inc({ reason: d.reason.startsWith('not JSON') ? 'not-json' : 'invalid' });
  }

  /** Messages not yet committed, per partition, into the consumer-lag gauge. */
  async measureLag(): Promise<number> {
    try {
      const [ends, committed] = await Promise.all([
        this.admin.fetchTopicOffsets(this.options.topic),
        this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.options.topic] }),
      ]);
      const done = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]));
      let total = 0;
      for (const p of ends) {
        const lag = Number(BigInt(p.high) - (done.get(p.partition) ?? 0n));
        this.options.collector.metrics.consumerLag.set({ topic: this.options.topic, partition: String(p.partition) }, lag);
        total += lag;
      }
      return total;
    } catch (error) {
      this.options.log.warn({ reason: (error as Error).message }, 'could not measure consumer lag');
      return NaN;
    }
  }

  /** Stops consuming after the batch in hand, then closes the clients, each within `closeMs` (see `closeClients`). Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.lagTimer) clearInterval(this.lagTimer);
    await closeClients(
      [
        { name: 'consumer', disconnect: () => this.consumer.disconnect() },
        { name: 'producer', disconnect: () => this.producer.disconnect() },
        { name: 'admin', disconnect: () => this.admin.disconnect() },
      ],
      this.options.closeMs ?? CLOSE_MS,
      this.options.log,
    );
  }
}
