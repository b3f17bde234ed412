import { Counter, Gauge, Histogram } from 'prom-client';

export const eventsAccepted = new Counter({
  name: 'aifi_collector_events_accepted_total',
  help: 'Events that passed validation and were queued for ClickHouse, by transport',
  labelNames: ['transport'] as const,
});

export const eventsRejected = new Counter({
  name: 'aifi_collector_events_rejected_total',
  help: 'Events refused, by transport and reason (invalid, hospital-mismatch, queue-full, …)',
  labelNames: ['transport', 'reason'] as const,
});

export const requestsRejected = new Counter({
  name: 'aifi_collector_requests_rejected_total',
  help: 'HTTP requests refused as a whole, by status code',
  labelNames: ['status'] as const,
});

export const batchRows = new Histogram({
  name: 'aifi_collector_batch_rows',
  help: 'Rows per ClickHouse insert',
  labelNames: ['table'] as const,
  buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
});

export const flushSeconds = new Histogram({
  name: 'aifi_collector_flush_seconds',
  help: 'Time to write one batch to ClickHouse, retries included',
  labelNames: ['table'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

export const flushFailures = new Counter({
  name: 'aifi_collector_flush_failures_total',
  help: 'Failed insert attempts, by table and error kind; final="true" when the batch was given up',
  labelNames: ['table', 'kind', 'final'] as const,
});

export const queueDepth = new Gauge({
  name: 'aifi_collector_queue_rows',
  help: 'Rows waiting to be written, by table',
  labelNames: ['table'] as const,
});

export const queueCapacity = new Gauge({
  name: 'aifi_collector_queue_capacity_rows',
  help: 'Rows the write queue holds at most, by table',
  labelNames: ['table'] as const,
});

export const rowsWritten = new Counter({
  name: 'aifi_collector_rows_written_total',
  help: 'Rows written to ClickHouse, by table',
  labelNames: ['table'] as const,
});

export const dlqMessages = new Counter({
  name: 'aifi_collector_dlq_messages_total',
  help: 'Kafka messages sent to the dead-letter topic, by reason',
  labelNames: ['reason'] as const,
});

export const consumerLag = new Gauge({
  name: 'aifi_collector_consumer_lag_messages',
  help: 'Messages behind the end of the partition, by partition',
  labelNames: ['topic', 'partition'] as const,
});

export const gatewayLastHeartbeat = new Gauge({
  name: 'aifi_gateway_last_heartbeat_timestamp_seconds',
  help: 'Time of the latest heartbeat seen from each gateway component',
  labelNames: ['hospital', 'component'] as const,
});

export const gatewayUp = new Gauge({
  name: 'aifi_gateway_up',
  help: 'Status of the latest heartbeat of each gateway component (1 up, 0.5 degraded, 0 down)',
  labelNames: ['hospital', 'component'] as const,
});
