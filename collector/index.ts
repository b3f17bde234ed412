export { eventToRow, clickhouseTime } from './event-row.ts';
export { BatchWriter, QueueFullError, type BatchWriterOptions } from './batch-writer.ts';
export { Collector, type Intake, type Rejection, type SenderScope, type Transport } from './collector.ts';
