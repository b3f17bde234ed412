import type { FastifyBaseLogger } from 'fastify';
import { checkEvent, describeIssues, type AifiEvent, type EventType } from '../events/index.ts';
import type { Store } from '../store/index.ts';
import { BatchWriter, QueueFullError, type BatchWriterOptions, type EncodedRow } from './batch-writer.ts';
import { eventLine } from './event-row.ts';
import { GatewayGauges } from './gateway-gauges.ts';
import { CollectorMetrics } from './metrics.ts';
import { DEFAULT_TIME_WINDOW, implausibleTime, type TimeWindow } from './time-window.ts';

export type Transport = 'in-process' | 'http' | 'kafka';

export interface Rejection {
  index: number;
  path: string;
  reason: string;
}

/**
 * What a sender may claim: a token bound to a hospital, a source or a set of
 * event types restricts the events it may send; `hospitals` are the ones that
 * exist (an event of another is refused).
 */
export interface SenderScope {
  hospital?: string;
  source?: string;
  types?: ReadonlySet<EventType>;
  hospitals?: ReadonlySet<string>;
  /** The window this sender's times must fit instead of the collector's (a backfill of simulated time names its period). */
  window?: TimeWindow | null;
}

export interface CollectorOptions extends BatchWriterOptions {
  /** How far `occurred_at` may lie from the time of arrival (default two years back, 15 minutes ahead); null for none. */
  window?: TimeWindow | null;
  /** Gateway components per hospital on /metrics at most (default 16); a heartbeat of one more is refused. */
  maxComponentsPerHospital?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export interface Intake {
  accepted: number;
  rejected: Rejection[];
  /** Settles when the accepted events are in ClickHouse (rejects if they were given up). */
  stored: Promise<void>;
  /** Ids of the accepted events, in order. */
  eventIds: string[];
}

/**
 * Validates events and queues the valid ones for ClickHouse. Invalid events are
 * refused one by one with the field path, and never hold back the valid ones.
 */
export class Collector {
  readonly writer: BatchWriter;
  /** How far occurred_at may lie from the time of arrival; null when times are not checked. */
  readonly window: TimeWindow | null;
  private readonly now: () => number;
  private readonly gateways: GatewayGauges;
  /** This collector's figures on /metrics (its writer's and its transports' too). */
  readonly metrics: CollectorMetrics;

  constructor(
    readonly store: Store,
    log: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    options: CollectorOptions = {},
  ) {
    this.metrics = options.metrics ?? new CollectorMetrics();
    this.writer = new BatchWriter(store, 'events', log, { ...options, metrics: this.metrics });
    this.window = options.window === undefined ? DEFAULT_TIME_WINDOW : options.window;
    this.now = options.now ?? Date.now;
    this.gateways = new GatewayGauges(options.maxComponentsPerHospital ?? 16, this.metrics);
  }

  /**
   * Checks each input against the contract, then as `admit` does; throws
   * QueueFullError, taking nothing, when the valid ones do not fit the queue.
   * The refusals are in input order.
   */
  accept(inputs: readonly unknown[], transport: Transport, scope: SenderScope = {}): Intake {
    const checked = this.validate(inputs, transport);
    const intake = this.admit(checked.events, transport, scope);
    const admitted = intake.rejected.map((r) => ({ ...r, index: checked.indexes[r.index]! }));
    return { ...intake, rejected: [...checked.rejected, ...admitted].sort((a, b) => a.index - b.index) };
  }

  /** The inputs that satisfy the contract (with their index among the inputs), and a refusal naming the field for each other. */
  validate(inputs: readonly unknown[], transport: Transport): { events: AifiEvent[]; indexes: number[]; rejected: Rejection[] } {
    const events: AifiEvent[] = [];
    const indexes: number[] = [];
    const rejected: Rejection[] = [];
    inputs.forEach((input, index) => {
      const check = checkEvent(input);
      if (check.ok) {
        events.push(check.event);
        indexes.push(index);
        return;
      }
      rejected.push({ index, path: check.issues[0]!.path, reason: describeIssues(check.issues) });
      this.metrics.eventsRejected.inc({ transport, reason: 'invalid' });
    });
    return { events, indexes, rejected };
  }

  /**
   * Takes events that satisfy the contract already (made by `makeEvent` in
   * this process, or passed by `validate`), without parsing them again: the
   * checks that depend on the sender, the time of arrival and what the
   * collector holds (scope, time window, the bound on gateway components),
   * then each is encoded once and queued. Throws QueueFullError as `accept`.
   */
  admit(events: readonly AifiEvent[], transport: Transport, scope: SenderScope = {}): Intake {
    const rows: EncodedRow[] = [];
    const rejected: Rejection[] = [];
    const now = this.now();
    const window = scope.window === undefined ? this.window : scope.window;
    const heartbeats: Extract<AifiEvent, { type: 'gateway.heartbeat' }>[] = [];
    events.forEach((event, index) => {
      const refusal = outOfScope(event, scope);
      if (refusal) {
        rejected.push({ index, ...refusal });
        this.metrics.eventsRejected.inc({ transport, reason: 'scope' });
        return;
      }
      const implausible = window && implausibleTime(window, Date.parse(event.occurred_at), now);
      if (implausible) {
        rejected.push({ index, path: 'occurred_at', reason: `occurred_at ${event.occurred_at} ${implausible}` });
        this.metrics.eventsRejected.inc({ transport, reason: 'time' });
        return;
      }
      if (event.type === 'gateway.heartbeat') {
        const unbounded = this.gateways.admit(event.hospital, event.component);
        if (unbounded) {
          rejected.push({ index, path: 'component', reason: unbounded });
          this.metrics.eventsRejected.inc({ transport, reason: 'component' });
          return;
        }
        heartbeats.push(event);
      }
      rows.push({ id: event.event_id, line: eventLine(event) });
    });
    if (!this.writer.hasRoomFor(rows.length)) {
      this.metrics.eventsRejected.inc({ transport, reason: 'queue-full' }, rows.length);
      throw new QueueFullError(this.writer.table, this.writer.maxQueueRows);
    }
    for (const h of heartbeats) this.gateways.record(h.hospital, h.component, h.status, Math.min(Date.parse(h.occurred_at), now));
    const stored = this.writer.add(rows);
    stored.catch(() => {}); // observed by whoever awaits it; a give-up is logged by the writer
    this.metrics.eventsAccepted.inc({ transport }, rows.length);
    return { accepted: rows.length, rejected, stored, eventIds: rows.map((r) => r.id) };
  }

  async shutdown(): Promise<void> {
    await this.writer.shutdown();
  }
}

function outOfScope(event: AifiEvent, scope: SenderScope): { path: string; reason: string } | null {
  if (scope.hospitals && !scope.hospitals.has(event.hospital)) {
    return { path: 'hospital', reason: `hospital ${event.hospital} is not in the hospitals file` };
  }
  if (scope.types && !scope.types.has(event.type)) {
    return { path: 'type', reason: `this token may not send ${event.type} events (it may send ${[...scope.types].join(', ')})` };
  }
  if (scope.hospital && event.hospital !== scope.hospital) {
    return { path: 'hospital', reason: `this token may only send events of hospital ${scope.hospital}, not ${event.hospital}` };
  }
  if (scope.source && event.source !== scope.source) {
    return { path: 'source', reason: `this token may only send events from source ${scope.source}, not ${event.source}` };
  }
  return null;
}
