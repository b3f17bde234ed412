import type { FastifyBaseLogger } from 'fastify';
import { SinkError, type AifiEvent, type EventSink } from '../events/index.ts';
import { QueueFullError } from './batch-writer.ts';
import type { Collector } from './collector.ts';

/**
 * The embedded mode's joint: the orchestrator's events handed to the
 * collector in this process. They were validated when they were made
 * (`makeEvent`), so the collector admits them without parsing them again and
 * encodes each once (`Collector.admit` → `eventLine` → `BatchWriter`).
 * `send` resolves once they are in ClickHouse. The writer retries what
 * ClickHouse refuses for a while and its give-up is final here, so that
 * retries never nest; only a full queue, which the writer does not retry, is
 * worth another attempt by the sender.
 */
export class InProcessSink implements EventSink {
  readonly name = 'in-process';

  constructor(
    private readonly collector: Collector,
    private readonly log: Pick<FastifyBaseLogger, 'error'>,
  ) {}

  async send(events: readonly AifiEvent[]): Promise<void> {
    let intake;
    try {
      intake = this.collector.admit(events, 'in-process');
      await intake.stored;
    } catch (error) {
      if (error instanceof QueueFullError) throw new SinkError(error.message, true, 1_000);
      throw new SinkError((error as Error).message, false);
    }
    if (intake.rejected.length) {
      this.log.error({ rejected: intake.rejected }, 'the collector refused events made in this process');
      throw new SinkError(`the collector refused ${intake.rejected.length} of the events: ${intake.rejected[0]!.reason}`, false);
    }
  }

  /** The collector is closed by its owner, after the orchestrator has drained. */
  async close(): Promise<void> {}
}
