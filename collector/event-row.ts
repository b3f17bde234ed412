import type { AifiEvent } from '../events/index.ts';
import { RowBinaryBuffer, rowBinaryWriter, type ColumnType, type Row, type Store } from '../store/index.ts';

/** `2026-03-02T08:15:04.250Z` → `2026-03-02 08:15:04.250`, the form DateTime64(3, 'UTC') parses on every ClickHouse. */
export function clickhouseTime(iso: string): string {
  return iso.slice(0, 23).replace('T', ' ');
}

/** Every column `eventToRow` may fill, in the order of the events table (ingested_at is the table's own). */
export const EVENT_ROW_COLUMNS = [
  'event_id', 'schema_version', 'type', 'occurred_at', 'hospital', 'source', 'trace_id', 'study_key', 'product',
  'patient_key', 'modality', 'body_part', 'age_years', 'sex', 'manufacturer', 'device_model', 'contrast', 'urgency', 'send_mode', 'instance_count', 'acquired_at',
  'outcome', 'rule', 'model_version', 'finding', 'score', 'value', 'label', 'agreement', 'error_class', 'retryable', 'final', 'attempt',
  'channel', 'acknowledged', 'user_key', 'role', 'component', 'status', 'routing_ms', 'queued_ms', 'inference_ms', 'total_ms', 'delivery_ms', 'payload',
] as const;

/** The `events` table's columns with their types, for a RowBinary writer of its rows. */
export function eventColumnTypes(store: Store): Promise<ColumnType[]> {
  return store.query<ColumnType>("SELECT name, type, default_expression FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position");
}

/**
 * Rows made by `eventToRow`, stored in the `events` table by one insert: as
 * RowBinary where the store takes it (the embedded store reads the same rows
 * in about a third of the time of JSONEachRow: bench/README.md, "The rows as
 * RowBinary"), else as JSONEachRow. For events already validated: a simulated
 * period loaded at once, as the bulk load does, not the collector's intake.
 */
export async function insertEventRows(store: Store, rows: readonly Row[]): Promise<number> {
  if (rows.length === 0) return 0;
  if (!store.insertRowBinary) return store.insert('events', rows);
  const writer = rowBinaryWriter(EVENT_ROW_COLUMNS, await eventColumnTypes(store));
  const out = new RowBinaryBuffer();
  for (const row of rows) writer.write(out, row);
  await store.insertRowBinary('events', EVENT_ROW_COLUMNS, writer.structure, out.take());
  return rows.length;
}

const bit = (v: boolean | undefined) => (v === undefined ? null : v ? 1 : 0);

/** Maps a validated event to a row of the `events` table: typed columns plus the whole event as JSON. */
export function eventToRow(event: AifiEvent): Row {
  const row = eventColumns(event);
  row.payload = JSON.stringify(event);
  return row;
}

/**
 * The same row as one JSONEachRow line (with its newline), the event encoded
 * once: `payload` is the event itself, which ClickHouse reads into the String
 * column as its JSON text (`input_format_json_read_objects_as_strings`, on by
 * default), byte for byte what `eventToRow` puts there.
 */
export function eventLine(event: AifiEvent): string {
  const row = eventColumns(event);
  row.payload = event;
  return JSON.stringify(row) + '\n';
}

/** The typed columns of an event's row, without the payload. */
function eventColumns(event: AifiEvent): Row {
  const row: Row = {
    event_id: event.event_id,
    schema_version: event.schema_version,
    type: event.type,
    occurred_at: clickhouseTime(event.occurred_at),
    hospital: event.hospital,
    source: event.source,
    trace_id: event.trace_id ?? '',
    study_key: 'study_key' in event ? event.study_key : '',
    product: 'product' in event ? event.product : '',
  };
  switch (event.type) {
    case 'study.received':
      Object.assign(row, {
        patient_key: event.patient_key,
        modality: event.modality,
        body_part: event.body_part,
        age_years: event.age_years,
        sex: event.sex,
        manufacturer: event.manufacturer,
        device_model: event.device_model,
        contrast: bit(event.contrast),
        urgency: event.urgency,
        send_mode: event.send_mode,
        instance_count: event.instance_count,
        acquired_at: event.acquired_at === null ? null : clickhouseTime(event.acquired_at),
      });
      break;
    case 'study.routed':
      Object.assign(row, { outcome: event.outcome, rule: event.rule, routing_ms: event.routing_ms });
      break;
    case 'inference.requested':
      Object.assign(row, { attempt: event.attempt, queued_ms: event.queued_ms });
      break;
    case 'inference.completed':
      Object.assign(row, {
        model_version: event.model_version,
        finding: event.finding,
        score: event.score,
        value: event.value,
        attempt: event.attempt,
        queued_ms: event.queued_ms,
        inference_ms: event.inference_ms,
        total_ms: event.total_ms,
      });
      break;
    case 'inference.failed':
      Object.assign(row, {
        error_class: event.error_class,
        retryable: bit(event.retryable),
        final: bit(event.final),
        attempt: event.attempt,
        total_ms: event.total_ms,
      });
      break;
    case 'result.delivered':
      Object.assign(row, { channel: event.channel, acknowledged: bit(event.acknowledged), delivery_ms: event.delivery_ms });
      break;
    case 'result.viewed':
      Object.assign(row, { user_key: event.user_key, role: event.role });
      break;
    case 'verdict.recorded':
      Object.assign(row, { user_key: event.reader_key, label: event.label ?? '', value: event.value ?? null, agreement: bit(event.agreement) });
      break;
    case 'gateway.heartbeat':
      Object.assign(row, { component: event.component, status: event.status });
      break;
    case 'report.signed':
      // the accession pseudonym and the finding's concept are read from the payload (store/migrations/0012)
      Object.assign(row, { status: event.status, user_key: event.reader_key ?? '', finding: event.finding ?? '' });
      break;
  }
  return row;
}
