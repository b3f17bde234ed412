export { eventToRow, clickhouseTime, EVENT_ROW_COLUMNS } from './event-row.ts';
export { BatchWriter, QueueFullError, type BatchWriterOptions } from './batch-writer.ts';
export { Collector, type Intake, type Rejection, type SenderScope, type Transport } from './collector.ts';
export { KafkaIngest, type KafkaIngestOptions } from './kafka-consumer.ts';
export { ingestRoutes, type IngestRouteOptions } from './http-routes.ts';
export { SenderTokens, sha256Hex, type Sender } from './sender-tokens.ts';
