import { parentPort, workerData } from 'node:worker_threads';
import { EVENT_ROW_COLUMNS, eventToRow } from '../collector/index.ts';
import { checkEvent, describeIssues, makeTrustedEvent } from '../events/index.ts';
import { RowBinaryBuffer, rowBinaryWriter, tabSeparatedLine } from '../store/index.ts';
import { Backfill } from './backfill.ts';
import type { BulkChunk, BulkChunkResult, BulkWorkerData } from './bulk-load.ts';

/**
 * A worker of the bulk load: makes the events of one hospital-week at a time
 * (the backfill's simulation, events made without running the schema), turns
 * each into the collector's row and the row into RowBinary (or a TabSeparated
 * line), and
 * hands the payload and its share of the truth to the loader. Every
 * `checkEvery`-th event is still run through the schema.
 */
const data = workerData as BulkWorkerData;

/** Lines written straight into one growing buffer: no string of a whole hospital-week is ever built. */
class Payload {
  private buffer = Buffer.allocUnsafeSlow(8 * 2 ** 20);
  private length = 0;

  write(line: string): void {
    if (this.buffer.length - this.length < line.length * 3) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + line.length * 3));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    this.length += this.buffer.write(line, this.length, 'utf8');
  }

  /** The bytes written, in a buffer of their own (to be transferred). */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.length);
    this.buffer.copy(out, 0, 0, this.length);
    this.length = 0;
    return out;
  }
}
/** RowBinary rows typed by the table, when the store takes them. */
const writer = data.types ? rowBinaryWriter(EVENT_ROW_COLUMNS, data.types) : null;
const binary = writer ? new RowBinaryBuffer() : null;
const backfill = new Backfill({ scenario: data.scenario, seed: data.seed, weeks: data.weeks, makeEvent: makeTrustedEvent });
let made = 0;

parentPort!.on('message', (chunk: BulkChunk | null) => {
  if (chunk === null) {
    parentPort!.close();
    return;
  }
  try {
    const payload = binary ?? new Payload();
    let events = 0;
    const studies = backfill.hospitalWeek(chunk.week, chunk.hospital, (event) => {
      if (++made % data.checkEvery === 0) {
        const check = checkEvent(event);
        if (!check.ok) throw new Error(`the simulator made an invalid ${event.type} event: ${describeIssues(check.issues)}`);
      }
      if (binary) writer!.write(binary, eventToRow(event));
      else (payload as Payload).write(tabSeparatedLine(eventToRow(event), EVENT_ROW_COLUMNS));
      events++;
    });
    const bytes = payload.take();
    const result: BulkChunkResult = { index: chunk.index, studies, events, payload: bytes, cells: backfill.truth.drain() };
    parentPort!.postMessage(result, [bytes.buffer as ArrayBuffer]);
  } catch (error) {
    binary?.take();
    parentPort!.postMessage({ index: chunk.index, error: (error as Error).stack ?? String(error) });
  }
});
