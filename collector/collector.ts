import type { FastifyBaseLogger } from 'fastify';
import { checkEvent, describeIssues, type AifiEvent } from '../events/index.ts';
import type { Row, Store } from '../store/index.ts';
import { BatchWriter, QueueFullError, type BatchWriterOptions } from './batch-writer.ts';
import { eventToRow } from './event-row.ts';
import { eventsAccepted, eventsRejected, gatewayLastHeartbeat, gatewayUp } from './metrics.ts';

export type Transport = 'in-process' | 'http' | 'kafka';

export interface Rejection {
  index: number;
  path: string;
  reason: string;
}

/** What a sender may claim: a token bound to a hospital, or to a source, restricts the events it may send. */
export interface SenderScope {
  hospital?: string;
  source?: string;
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

  constructor(
    readonly store: Store,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    options: BatchWriterOptions = {},
  ) {
    this.writer = new BatchWriter(store, 'events', log, options);
  }

  /** Checks each input; throws QueueFullError, taking nothing, when the valid ones do not fit the queue. */
  accept(inputs: readonly unknown[], transport: Transport, scope: SenderScope = {}): Intake {
    const rows: Row[] = [];
    const eventIds: string[] = [];
    const rejected: Rejection[] = [];
    inputs.forEach((input, index) => {
      const check = checkEvent(input);
      if (!check.ok) {
        rejected.push({ index, path: check.issues[0]!.path, reason: describeIssues(check.issues) });
        eventsRejected.inc({ transport, reason: 'invalid' });
        return;
      }
      const refusal = outOfScope(check.event, scope);
      if (refusal) {
        rejected.push({ index, ...refusal });
        eventsRejected.inc({ transport, reason: 'scope' });
        return;
      }
      rows.push(eventToRow(check.event));
      eventIds.push(check.event.event_id);
      if (check.event.type === 'gateway.heartbeat') this.heartbeat(check.event.hospital, check.event.component, check.event.status, check.event.occurred_at);
    });
    if (!this.writer.hasRoomFor(rows.length)) {
      eventsRejected.inc({ transport, reason: 'queue-full' }, rows.length);
      throw new QueueFullError(this.writer.table, this.writer.maxQueueRows);
    }
    const stored = this.writer.add(rows);
    stored.catch(() => {}); // observed by whoever awaits it; a give-up is logged by the writer
    eventsAccepted.inc({ transport }, rows.length);
    return { accepted: rows.length, rejected, stored, eventIds };
  }

  /** Accepts events made in this process (the orchestrator's in-process sink) and waits until they are stored. */
  async acceptAndStore(events: readonly AifiEvent[]): Promise<void> {
    const intake = this.accept(events, 'in-process');
    if (intake.rejected.length > 0) {
      this.log.error({ rejected: intake.rejected }, 'events made in this process failed validation');
    }
    await intake.stored;
  }

  private readonly latestHeartbeat = new Map<string, number>();

  /** Keeps the latest heartbeat per gateway component on /metrics, for the gateway-down rule. */
  private heartbeat(hospital: string, component: string, status: string, at: string): void {
    const key = `${hospital}|${component}`;
    const t = Date.parse(at) / 1000;
    if (t < (this.latestHeartbeat.get(key) ?? 0)) return;
    this.latestHeartbeat.set(key, t);
    gatewayLastHeartbeat.set({ hospital, component }, t);
    gatewayUp.set({ hospital, component }, status === 'up' ? 1 : status === 'degraded' ? 0.5 : 0);
  }

  async shutdown(): Promise<void> {
    await this.writer.shutdown();
  }
}

function outOfScope(event: AifiEvent, scope: SenderScope): { path: string; reason: string } | null {
  if (scope.hospital && event.hospital !== scope.hospital) {
    return { path: 'hospital', reason: `this token may only send events of hospital ${scope.hospital}, not ${event.hospital}` };
  }
  if (scope.source && event.source !== scope.source) {
    return { path: 'source', reason: `this token may only send events from source ${scope.source}, not ${event.source}` };
  }
  return null;
}
