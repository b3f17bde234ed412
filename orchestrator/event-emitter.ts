import type { FastifyBaseLogger } from 'fastify';
import type { AifiEvent } from '../events/index.ts';
import { SinkError, type EventSink } from './event-sink.ts';
import { emitFailures, emitPending, eventsEmitted } from './metrics.ts';

export interface EmitterOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Hands events to the sink, retrying retryable failures with exponential
 * backoff. A give-up is never silent: it is logged with the event ids and
 * counted. `drain()` waits until everything in flight has settled.
 */
export class EventEmitter {
  private readonly inFlight = new Set<Promise<void>>();
  private pending = 0;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    readonly sink: EventSink,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    options: EmitterOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 10;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
  }

  /** Sends the events in the background (in order for one call); returns the promise for those who wait. */
  emit(events: readonly AifiEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    this.pending += events.length;
    emitPending.set(this.pending);
    const work = this.deliver(events).finally(() => {
      this.pending -= events.length;
      emitPending.set(this.pending);
      this.inFlight.delete(work);
    });
    this.inFlight.add(work);
    return work;
  }

  private async deliver(events: readonly AifiEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink.send(events);
        for (const e of events) eventsEmitted.inc({ type: e.type });
        return;
      } catch (error) {
        const retryable = error instanceof SinkError ? error.retryable : false;
        const final = !retryable || attempt >= this.maxAttempts;
        emitFailures.inc({ sink: this.sink.name, final: String(final) });
        if (final) {
          this.log.error(
            { err: error, sink: this.sink.name, attempts: attempt, event_ids: events.map((e) => e.event_id) },
            'events could not be delivered to the sink; giving up',
          );
          return;
        }
        const wait = Math.min(this.maxDelayMs, (error as SinkError).retryAfterMs ?? this.baseDelayMs * 2 ** (attempt - 1));
        this.log.warn({ sink: this.sink.name, attempt, wait_ms: wait, reason: (error as Error).message }, 'sink refused events; retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  get pendingEvents(): number {
    return this.pending;
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
