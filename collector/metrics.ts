import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The figures of one collector on /metrics, in a registry of its own: two collectors in one
 * process (a test file after another, a benchmark beside a stack) count apart, and the
 * service's /metrics serves this registry beside the process's default metrics.
 */
export class CollectorMetrics {
  readonly registry = new Registry();

  readonly eventsAccepted = new Counter({
    name: 'aifi_collector_events_accepted_total',
    help: 'Events that passed validation and were queued for ClickHouse, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly eventsRejected = new Counter({
    name: 'aifi_collector_events_rejected_total',
    help: 'Events refused, by transport and reason (invalid, hospital-mismatch, queue-full, …)',
    labelNames: ['transport', 'reason'] as const,
    registers: [this.registry],
  });

  readonly requestsRejected = new Counter({
    name: 'aifi_collector_requests_rejected_total',
    help: 'HTTP requests refused as a whole, by status code',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly batchRows = new Histogram({
    name: 'aifi_collector_batch_rows',
    help: 'Rows per ClickHouse insert',
    labelNames: ['table'] as const,
    buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
    registers: [this.registry],
  });

  readonly flushSeconds = new Histogram({
    name: 'aifi_collector_flush_seconds',
    help: 'Time to write one batch to ClickHouse, retries included',
    labelNames: ['table'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly flushFailures = new Counter({
    name: 'aifi_collector_flush_failures_total',
    help: 'Failed insert attempts, by table and error kind; final="true" when the batch was given up',
    labelNames: ['table', 'kind', 'final'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'aifi_collector_queue_rows',
    help: 'Rows waiting to be written, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  readonly queueCapacity = new Gauge({
    name: 'aifi_collector_queue_capacity_rows',
    help: 'Rows the write queue holds at most, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  readonly rowsWritten = new Counter({
    name: 'aifi_collector_rows_written_total',
    help: 'Rows written to ClickHouse, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  readonly dlqMessages = new Counter({
    name: 'aifi_collector_dlq_messages_total',
    help: 'Kafka messages sent to the dead-letter topic, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'aifi_collector_consumer_lag_messages',
    help: 'Messages behind the end of the partition, by partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly gatewayLastHeartbeat = new Gauge({
    name: 'aifi_gateway_last_heartbeat_timestamp_seconds',
    help: 'Time of the latest heartbeat seen from each gateway component',
    labelNames: ['hospital', 'component'] as const,
    registers: [this.registry],
  });

  readonly gatewayUp = new Gauge({
    name: 'aifi_gateway_up',
    help: 'Status of the latest heartbeat of each gateway component (1 up, 0.5 degraded, 0 down)',
    labelNames: ['hospital', 'component'] as const,
    registers: [this.registry],
  });
}
