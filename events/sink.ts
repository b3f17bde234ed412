import type { AifiEvent } from './schemas.ts';

/**
 * Where a producer's events go: the collector in this process, Kafka, or a
 * remote collector over HTTP. The orchestrator sends through it; the
 * collector's door offers the in-process one.
 */
export interface EventSink {
  readonly name: string;
  /** Resolves once the events are accepted downstream; rejects with a SinkError otherwise. */
  send(events: readonly AifiEvent[]): Promise<void>;
  close(): Promise<void>;
}

export class SinkError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Milliseconds the receiver asked us to wait, if it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SinkError';
  }
}
