export { eventToRow, eventLine, clickhouseTime, eventColumnTypes, insertEventRows, EVENT_ROW_COLUMNS } from './event-row.ts';
export { BatchWriter, QueueFullError, type BatchWriterOptions, type EncodedRow } from './batch-writer.ts';
export { Collector, type CollectorOptions, type Intake, type Rejection, type SenderScope, type Transport } from './collector.ts';
export { InProcessSink } from './in-process-sink.ts';
export { CollectorMetrics } from './metrics.ts';
export { DEFAULT_TIME_WINDOW, windowCovering, type TimeWindow } from './time-window.ts';
export { KafkaIngest, type KafkaIngestOptions } from './kafka-consumer.ts';
export { ingestRoutes, type IngestRouteOptions } from './http-routes.ts';
export { SenderTokens, SENDER_ROLES, sha256Hex, type Sender, type SenderRole } from './sender-tokens.ts';
