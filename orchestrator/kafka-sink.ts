import type { FastifyBaseLogger } from 'fastify';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import type { AifiEvent } from '../events/index.ts';
import { SinkError, type EventSink } from './event-sink.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** The Kafka message key: a study's events share a partition, so they stay in order. */
export function eventKey(event: AifiEvent): string {
  return 'study_key' in event ? `${event.hospital}:${event.study_key}` : `${event.hospital}:${event.type}`;
}

/**
 * Whether sending again may succeed, by kafkajs's own judgement of the cause.
 * Once kafkajs has spent its own retries it throws KafkaJSNumberOfRetriesExceeded,
 * which it marks non-retriable whatever the cause; a broker that refused a
 * connection while it restarted may be back, so the emitter judges by the cause.
 */
export function kafkaRetriable(error: unknown): boolean {
  type KafkaError = { name?: string; retriable?: boolean; cause?: unknown };
  let e = error as KafkaError | undefined;
  while (e?.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause !== undefined) e = e.cause as KafkaError;
  return e?.retriable !== false;
}

/**
 * Produces events to Kafka with an idempotent producer and acks from all
 * in-sync replicas, keyed by hospital and study. `send` resolves once Kafka has
 * the events.
 */
export class KafkaSink implements EventSink {
  readonly name = 'kafka';
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    brokers: string[],
    private readonly topic: string,
    log: Pick<FastifyBaseLogger, 'warn'>,
    clientId = 'aifi-orchestrator',
  ) {
    const kafka = new Kafka({
      clientId,
      brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => log.warn({ kafka: entry.log }, `kafka: ${entry.log.message}`),
      retry: { retries: 8, initialRetryTime: 200 },
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error) => {
      this.connected = null;
      throw error;
    });
    return this.connected;
  }

  async send(events: readonly AifiEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.connect();
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: events.map((e) => ({ key: eventKey(e), value: JSON.stringify(e), headers: { type: e.type } })),
      });
    } catch (error) {
      throw new SinkError(`Kafka did not take the events: ${(error as Error).message}`, kafkaRetriable(error));
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
