import { WITHIN_NORM_TARGET } from '../analytics/index.ts';
/** One Prometheus alerting rule for ops. */
export interface OpsRule {
  alert: string;
  expr: string;
  for: string;
  severity: 'critical' | 'warning';
  summary: string;
  description: string;
  /** Which dashboard shows it (uid of a generated Grafana dashboard). */
  dashboard: string;
}

/**
 * The ops alerting rules over the services' metrics. Each names its runbook
 * (alerts/runbooks/<alert>.md) and a dashboard; labels say the audience and
 * severity, and carry hospital and product where the metric has them.
 */
export const OPS_RULES: OpsRule[] = [
  {
    alert: 'TurnaroundP90OverNorm',
    expr: 'aifi_turnaround_p90_minutes > aifi_turnaround_norm_minutes',
    for: '15m',
    severity: 'warning',
    summary: 'Time to result p90 over the norm: {{ $labels.product }} at {{ $labels.hospital }} ({{ $labels.urgency }}, {{ $labels.send_mode }})',
    description: 'The 90th percentile of the time from acquisition to result is {{ $value | printf "%.0f" }} minutes, above the norm.',
    dashboard: 'aifi-turnaround',
  },
  {
    alert: 'TurnaroundBreachShareHigh',
    expr: `aifi_turnaround_within_norm_ratio < ${WITHIN_NORM_TARGET}`,
    for: '15m',
    severity: 'warning',
    summary: 'More than 20 % of results late: {{ $labels.product }} at {{ $labels.hospital }} ({{ $labels.urgency }})',
    description: 'Only {{ $value | humanizePercentage }} of results arrived within the norm.',
    dashboard: 'aifi-turnaround',
  },
  {
    alert: 'GatewayDown',
    expr: '(time() - aifi_gateway_last_heartbeat_timestamp_seconds > 1800) or (aifi_gateway_up == 0)',
    for: '10m',
    severity: 'critical',
    summary: 'Gateway {{ $labels.component }} of {{ $labels.hospital }} is down or silent',
    description: 'No heartbeat for 30 minutes, or the last heartbeat said down. Studies from this hospital are not arriving.',
    dashboard: 'aifi-turnaround',
  },
  {
    alert: 'InferenceFailureRateHigh',
    expr:
      'sum by (product) (rate(aifi_orchestrator_inference_attempts_total{outcome!="completed"}[15m])) / sum by (product) (rate(aifi_orchestrator_inference_attempts_total[15m])) > 0.1',
    for: '10m',
    severity: 'warning',
    summary: 'More than 10 % of {{ $labels.product }} inference attempts fail',
    description: 'The vendor times out, answers errors or garbage in {{ $value | humanizePercentage }} of attempts.',
    dashboard: 'aifi-platform',
  },
  {
    alert: 'IngestRejectionRateHigh',
    expr:
      'sum(rate(aifi_collector_events_rejected_total[15m])) / (sum(rate(aifi_collector_events_accepted_total[15m])) + sum(rate(aifi_collector_events_rejected_total[15m]))) > 0.05',
    for: '10m',
    severity: 'warning',
    summary: 'The collector rejects more than 5 % of events',
    description: '{{ $value | humanizePercentage }} of incoming events are refused (invalid, out of scope or queue full).',
    dashboard: 'aifi-platform',
  },
  {
    alert: 'DeadLetterGrowth',
    expr: 'sum(increase(aifi_collector_dlq_messages_total[15m])) > 10',
    for: '0m',
    severity: 'warning',
    summary: 'Messages are going to the dead-letter topic',
    description: '{{ $value | printf "%.0f" }} Kafka messages could not be decoded or validated in 15 minutes.',
    dashboard: 'aifi-platform',
  },
  {
    alert: 'ConsumerLagHigh',
    expr: 'sum by (topic) (aifi_collector_consumer_lag_messages) > 10000',
    for: '10m',
    severity: 'warning',
    summary: 'The collectors are {{ $value | printf "%.0f" }} messages behind on {{ $labels.topic }}',
    description: 'Events are waiting in Kafka; figures on the dashboards lag behind.',
    dashboard: 'aifi-platform',
  },
  {
    alert: 'WriterQueueNearFull',
    expr: 'aifi_collector_queue_rows / aifi_collector_queue_capacity_rows > 0.8',
    for: '5m',
    severity: 'critical',
    summary: 'The ClickHouse write queue of {{ $labels.table }} is over 80 % full',
    description: 'ClickHouse is slow or refusing writes; senders will soon get 429 or 503.',
    dashboard: 'aifi-platform',
  },
];

export interface RulesOptions {
  /** Where runbooks are served (default: their path in this repository). */
  runbookBase?: string;
  /** Where the generated Grafana dashboards live. */
  grafanaUrl?: string;
}

/** The Prometheus rule file (JSON is YAML: Prometheus and promtool read it as it is). */
export function opsRulesFile(options: RulesOptions = {}): { groups: unknown[] } {
  const runbooks = options.runbookBase ?? 'alerts/runbooks';
  const grafana = options.grafanaUrl ?? 'http://127.0.0.1:3000';
  return {
    groups: [
      {
        name: 'aifi-ops',
        rules: OPS_RULES.map((r) => ({
          alert: r.alert,
          expr: r.expr,
          for: r.for,
          labels: { audience: 'ops', severity: r.severity },
          annotations: {
            summary: r.summary,
            description: r.description,
            runbook_url: `${runbooks}/${r.alert}.md`,
            dashboard: `${grafana}/d/${r.dashboard}`,
          },
        })),
      },
    ],
  };
}
