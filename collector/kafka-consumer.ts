import type { FastifyBaseLogger } from 'fastify';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { QueueFullError } from './batch-writer.ts';
import type { Collector, Intake, SenderScope } from './collector.ts';
import { consumerLag, dlqMessages } from './metrics.ts';

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
}

interface DeadLetter {
  message: KafkaMessage;
  reason: string;
  path: string;
}

/** Step one of a batch: the messages that are JSON, and the dead letters of those that are not. */
function decode(messages: KafkaMessage[]): { good: { message: KafkaMessage; event: unknown }[]; dead: DeadLetter[] } {
  const good: { message: KafkaMessage; event: unknown }[] = [];
  const dead: DeadLetter[] = [];
  for (const message of messages) {
    try {
      good.push({ message, event: JSON.parse(message.value?.toString('utf8') ?? '') });
    } catch (error) {
      dead.push({ message, reason: `not JSON: ${(error as Error).message}`, path: '(root)' });
    }
  }
  return { good, dead };
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
    this.sessionTimeoutMs = Math.max(30_000, options.collector.writer.maxRetryMs + 10_000);
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: Math.max(60_000, this.sessionTimeoutMs),
      heartbeatInterval: 1_000,
      retry: { retries: 10 },
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
        const { topic, partition } = batch;
        const { good, dead } = decode(batch.messages);
        let intake: Intake;
        try {
          intake = await this.store(good.map((g) => g.event), heartbeat);
        } catch (error) {
          // Storage refused: rest this partition, then read again from the last commit.
          const wait = this.options.pauseMs ?? 5_000;
          this.options.log.warn({ topic, partition, wait_ms: wait, reason: (error as Error).message }, 'storage refused a batch; pausing the partition');
          this.consumer.pause([{ topic, partitions: [partition] }]);
          setTimeout(() => {
            if (!this.running) return;
            this.consumer.seek({ topic, partition, offset: batch.firstOffset() ?? batch.messages[0]!.offset });
            this.consumer.resume([{ topic, partitions: [partition] }]);
          }, wait).unref();
          return;
        }
        for (const r of intake.rejected) dead.push({ message: good[r.index]!.message, reason: r.reason, path: r.path });
        if (dead.length) await this.deadLetter(topic, partition, dead);
        const last = batch.messages[batch.messages.length - 1]!.offset;
        resolveOffset(last);
        await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
        await heartbeat();
      },
    });
    this.lagTimer = setInterval(() => void this.measureLag(), this.options.lagIntervalMs ?? 10_000);
    this.lagTimer.unref();
  }

  /** Step two: queues the events for ClickHouse, waiting for room while the queue is full, and waits until they are stored. */
  private async store(events: unknown[], heartbeat: () => Promise<void>): Promise<Intake> {
    const beating = setInterval(() => void heartbeat().catch(() => {}), 1_000);
    try {
      for (;;) {
        try {
          const intake = this.options.collector.accept(events, 'kafka', this.scope);
          await intake.stored;
          return intake;
        } catch (error) {
          if (!(error instanceof QueueFullError) || events.length > this.options.collector.writer.maxQueueRows) throw error;
          await this.options.collector.writer.whenRoomFor(Math.min(events.length, this.options.collector.writer.maxQueueRows));
        }
      }
    } finally {
      clearInterval(beating);
    }
  }

  /** Step three, once the batch is stored: what can never be valid goes to the dead-letter topic with the reason. */
  private async deadLetter(topic: string, partition: number, dead: DeadLetter[]): Promise<void> {
    await this.producer.send({
      topic: this.dlqTopic,
      acks: -1,
      messages: dead.map(({ message, reason, path }) => ({
        key: message.key,
        value: message.value,
        headers: {
          'x-aifi-reason': reason.slice(0, 1000),
          'x-aifi-path': path,
          'x-aifi-source-topic': topic,
          'x-aifi-source-partition': String(partition),
          'x-aifi-source-offset': message.offset,
        },
      })),
    });
    for (const d of dead) dlqMessages.inc({ reason: d.reason.startsWith('not JSON') ? 'not-json' : 'invalid' });
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
        consumerLag.set({ topic: this.options.topic, partition: String(p.partition) }, lag);
        total += lag;
      }
      return total;
    } catch (error) {
      this.options.log.warn({ reason: (error as Error).message }, 'could not measure consumer lag');
      return NaN;
    }
  }

  /** Stops consuming after the batch in hand, then closes the clients. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}
