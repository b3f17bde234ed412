import { gzipSync } from 'node:zlib';
import type { AifiEvent } from '../events/index.ts';

/** Where the orchestrator's events go: the collector in process, Kafka, or a remote collector over HTTP. */
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

/** The embedded mode: hand events to a function in the same process (the collector's intake). */
export function callbackSink(name: string, accept: (events: readonly AifiEvent[]) => Promise<void>): EventSink {
  return { name, send: accept, close: async () => {} };
}

/** Sends events to a remote collector's `POST /v1/events` as a gzipped JSON array. */
export class HttpSink implements EventSink {
  readonly name = 'http';
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(events: readonly AifiEvent[]): Promise<void> {
    if (events.length === 0) return;
    let response: Response;
    try {
      response = await fetch(new URL('/v1/events', this.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${this.token}` },
        body: gzipSync(JSON.stringify(events)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new SinkError(`collector at ${this.url} unreachable: ${(error as Error).message}`, true);
    }
    const body = (await response.text()).slice(0, 2000);
    if (response.status === 202) {
      const rejected = (JSON.parse(body || '{}') as { rejected?: { path: string; reason: string }[] }).rejected ?? [];
      if (rejected.length) throw new SinkError(`the collector refused ${rejected.length} of the events: ${rejected[0]!.reason}`, false);
      return;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    const retryable = response.status === 429 || response.status >= 500;
    throw new SinkError(`collector answered ${response.status}: ${body}`, retryable, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }

  async close(): Promise<void> {}
}
