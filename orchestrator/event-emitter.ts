import { ExponentialBackoff, handleWhen, retry, type IBackoff, type IBackoffFactory, type IRetryBackoffContext, type RetryPolicy } from 'cockatiel';
import type { FastifyBaseLogger } from 'fastify';
import type { AifiEvent } from '../events/index.ts';
import { SinkError, type EventSink } from './event-sink.ts';
import { emitFailures, emitPending, eventsEmitted } from './metrics.ts';

export interface EmitterOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

type Context = IRetryBackoffContext<unknown>;

/** The wait the receiver asked for (Retry-After), else exponential backoff with jitter; never over `maxMs`. */
function askedOrJittered(inner: IBackoff<Context>, context: Context, maxMs: number): IBackoff<Context> {
  const error = 'error' in context.result ? context.result.error : undefined;
  const asked = error instanceof SinkError ? error.retryAfterMs : undefined;
  return { duration: asked === undefined ? inner.duration : Math.min(maxMs, asked), next: (c) => askedOrJittered(inner.next(c), c, maxMs) };
}

/**
 * Hands events to the sink. `emit` sends in the background, retrying what the
 * sink says is retryable (the wait it asks for, else exponential backoff with
 * jitter); a give-up is never silent: it is logged with the event ids and
 * counted. `confirm` makes one attempt and tells the caller, for a request that
 * may be acknowledged only once its event is kept. `drain()` waits until
 * everything in flight has settled.
 */
export class EventEmitter {
  private readonly inFlight = new Set<Promise<void>>();
  private pending = 0;
  private readonly retries: RetryPolicy;

  constructor(
    readonly sink: EventSink,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    options: EmitterOptions = {},
  ) {
    const maxDelayMs = options.maxDelayMs ?? 30_000;
    const jitter = new ExponentialBackoff({ initialDelay: options.baseDelayMs ?? 100, maxDelay: maxDelayMs });
    const backoff: IBackoffFactory<Context> = { next: (context) => askedOrJittered(jitter.next(), context, maxDelayMs) };
    this.retries = retry(handleWhen((e) => e instanceof SinkError && e.retryable), { maxAttempts: (options.maxAttempts ?? 10) - 1, backoff });
    this.retries.onRetry((r) => {
      emitFailures.inc({ sink: this.sink.name, final: 'false' });
      this.log.warn({ sink: this.sink.name, attempt: r.attempt, wait_ms: Math.round(r.delay), reason: 'error' in r ? (r.error as Error).message : undefined }, 'sink refused events; retrying');
    });
  }

  /** Sends the events in the background (in order for one call); the promise settles when they are delivered or given up. */
  emit(events: readonly AifiEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.track(events, this.retries.execute(() => this.sink.send(events)).then(
      () => this.delivered(events),
      (error) => this.failed(events, error),
    ));
  }

  /** One attempt; resolves once the sink has the events (stored, or durably queued), else rejects with its SinkError. */
  confirm(events: readonly AifiEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.track(events, this.sink.send(events).then(
      () => this.delivered(events),
      (error) => {
        this.failed(events, error);
        throw error;
      },
    ));
  }

  private track(events: readonly AifiEvent[], work: Promise<void>): Promise<void> {
    this.pending += events.length;
    emitPending.set(this.pending);
    const tracked = work.finally(() => {
      this.pending -= events.length;
      emitPending.set(this.pending);
      this.inFlight.delete(tracked);
    });
    this.inFlight.add(tracked);
    tracked.catch(() => {}); // the caller of `confirm` observes it; drain only waits
    return tracked;
  }

  private delivered(events: readonly AifiEvent[]): void {
    for (const e of events) eventsEmitted.inc({ type: e.type });
  }

  private failed(events: readonly AifiEvent[], error: unknown): void {
    emitFailures.inc({ sink: this.sink.name, final: 'true' });
    this.log.error({ err: error, sink: this.sink.name, event_ids: events.map((e) => e.event_id) }, 'events could not be delivered to the sink; giving up');
  }

  get pendingEvents(): number {
    return this.pending;
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
