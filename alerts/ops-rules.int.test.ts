import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { needService, tempDir } from '../testing/index.ts';
import { OPS_RULES, opsRulesFile } from './index.ts';

const run = promisify(execFile);
const available = await needService("Prometheus's promtool (Debian package prometheus)", () => run('promtool', ['--version']));

const dir = tempDir('rules');
afterAll(() => dir.remove());

const turnaround = 'hospital="gelre",product="rbfracture",urgency="acute",send_mode="automatic"';
const turnaroundLabels = { hospital: 'gelre', product: 'rbfracture', urgency: 'acute', send_mode: 'automatic' };
const annotations = (alert: string, summary: string, description: string, dashboard: string) => ({
  summary,
  description,
  runbook_url: `alerts/runbooks/${alert}.md`,
  dashboard: `http://127.0.0.1:3000/d/${dashboard}`,
});

/** For every rule: series that make it fire (and others beside them that must not), and the alert expected. */
const CASES: Record<string, { series: { series: string; values: string }[]; at: string; labels: Record<string, string>; summary: string; description: string }> = {
  TurnaroundP90OverNorm: {
    series: [
      { series: `aifi_turnaround_p90_minutes{${turnaround}}`, values: '30x40' },
      { series: `aifi_turnaround_norm_minutes{${turnaround}}`, values: '15x40' },
      { series: 'aifi_turnaround_p90_minutes{hospital="zgt",product="rbfracture",urgency="acute",send_mode="automatic"}', values: '10x40' },
      { series: 'aifi_turnaround_norm_minutes{hospital="zgt",product="rbfracture",urgency="acute",send_mode="automatic"}', values: '15x40' },
    ],
    at: '20m',
    labels: turnaroundLabels,
    summary: 'Time to result p90 over the norm: rbfracture at gelre (acute, automatic)',
    description: 'The 90th percentile of the time from acquisition to result is 30 minutes, above the norm.',
  },
  TurnaroundBreachShareHigh: {
    series: [
      { series: `aifi_turnaround_within_norm_ratio{${turnaround}}`, values: '0.5x40' },
      { series: 'aifi_turnaround_within_norm_ratio{hospital="zgt",product="rbfracture",urgency="acute",send_mode="automatic"}', values: '0.95x40' },
    ],
    at: '20m',
    labels: turnaroundLabels,
    summary: 'More than 20 % of results late: rbfracture at gelre (acute)',
    description: 'Only 50% of results arrived within the norm.',
  },
  GatewayDown: {
    series: [
      { series: 'aifi_gateway_last_heartbeat_timestamp_seconds{hospital="zgt",component="pacs-gateway"}', values: '0x60' },
      { series: 'aifi_gateway_up{hospital="zgt",component="pacs-gateway"}', values: '1x60' },
      { series: 'aifi_gateway_last_heartbeat_timestamp_seconds{hospital="gelre",component="pacs-gateway"}', values: '0+60x60' },
      { series: 'aifi_gateway_up{hospital="gelre",component="pacs-gateway"}', values: '1x60' },
    ],
    at: '45m',
    labels: { hospital: 'zgt', component: 'pacs-gateway' },
    summary: 'Gateway pacs-gateway of zgt is down or silent',
    description: 'No heartbeat for 30 minutes, or the last heartbeat said down. Studies from this hospital are not arriving.',
  },
  InferenceFailureRateHigh: {
    series: [
      { series: 'aifi_orchestrator_inference_attempts_total{product="rbfracture",outcome="completed"}', values: '0+6x40' },
      { series: 'aifi_orchestrator_inference_attempts_total{product="rbfracture",outcome="timeout"}', values: '0+4x40' },
      { series: 'aifi_orchestrator_inference_attempts_total{product="bonexpert",outcome="completed"}', values: '0+10x40' },
      { series: 'aifi_orchestrator_inference_attempts_total{product="bonexpert",outcome="timeout"}', values: '0+0x40' },
    ],
    at: '30m',
    labels: { product: 'rbfracture' },
    summary: 'More than 10 % of rbfracture inference attempts fail',
    description: 'The vendor times out, answers errors or garbage in 40% of attempts.',
  },
  IngestRejectionRateHigh: {
    series: [
      { series: 'aifi_collector_events_accepted_total{transport="http"}', values: '0+90x40' },
      { series: 'aifi_collector_events_rejected_total{transport="http",reason="invalid"}', values: '0+10x40' },
    ],
    at: '30m',
    labels: {},
    summary: 'The collector rejects more than 5 % of events',
    description: '10% of incoming events are refused (invalid, out of scope or queue full).',
  },
  DeadLetterGrowth: {
    series: [{ series: 'aifi_collector_dlq_messages_total{reason="invalid"}', values: '0+2x40' }],
    at: '30m',
    labels: {},
    summary: 'Messages are going to the dead-letter topic',
    description: '30 Kafka messages could not be decoded or validated in 15 minutes.',
  },
  ConsumerLagHigh: {
    series: [
      { series: 'aifi_collector_consumer_lag_messages{topic="aifi.events",partition="0"}', values: '8000x40' },
      { series: 'aifi_collector_consumer_lag_messages{topic="aifi.events",partition="1"}', values: '4000x40' },
      { series: 'aifi_collector_consumer_lag_messages{topic="other",partition="0"}', values: '100x40' },
    ],
    at: '20m',
    labels: { topic: 'aifi.events' },
    summary: 'The collectors are 12000 messages behind on aifi.events',
    description: 'Events are waiting in Kafka; figures on the dashboards lag behind.',
  },
  WriterQueueNearFull: {
    series: [
      { series: 'aifi_collector_queue_rows{table="events"}', values: '90000x40' },
      { series: 'aifi_collector_queue_capacity_rows{table="events"}', values: '100000x40' },
    ],
    at: '10m',
    labels: { table: 'events' },
    summary: 'The ClickHouse write queue of events is over 80 % full',
    description: 'ClickHouse is slow or refusing writes; senders will soon get 429 or 503.',
  },
};

describe.skipIf(!available)('the ops alerting rules', () => {
  const rulesPath = join(dir.path, 'aifi-ops.rules.yml');
  writeFileSync(rulesPath, JSON.stringify(opsRulesFile(), null, 2));

  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', rulesPath]);
    expect(stdout).toContain(`SUCCESS: ${OPS_RULES.length} rules found`);
  });

  it('fire when their condition holds and stay quiet otherwise (promtool test rules), for every rule', async () => {
    expect(Object.keys(CASES).sort()).toEqual(OPS_RULES.map((r) => r.alert).sort());
    const tests = OPS_RULES.flatMap((rule) => {
      const c = CASES[rule.alert]!;
      const expected = [
        {
          exp_labels: { ...c.labels, audience: 'ops', severity: rule.severity },
          exp_annotations: annotations(rule.alert, c.summary, c.description, rule.dashboard),
        },
      ];
      return [
        // Firing, for exactly the series that meet the condition.
        { interval: '1m', input_series: c.series, alert_rule_test: [{ eval_time: c.at, alertname: rule.alert, exp_alerts: expected }] },
        // Not yet firing before its `for` has passed, or with no data at all.
        { interval: '1m', input_series: [], alert_rule_test: [{ eval_time: c.at, alertname: rule.alert, exp_alerts: [] }] },
      ];
    });
    const testPath = join(dir.path, 'aifi-ops.test.yml');
    writeFileSync(testPath, JSON.stringify({ rule_files: [rulesPath], evaluation_interval: '1m', tests }, null, 2));
    const result = await run('promtool', ['test', 'rules', testPath]).catch((error: { stdout?: string; stderr?: string }) => error);
    expect(`${result.stdout}${result.stderr ?? ''}`).toContain('SUCCESS');
  });

  it('catch a wrong expectation (the check can fail)', async () => {
    const rule = OPS_RULES[0]!;
    const c = CASES[rule.alert]!;
    const testPath = join(dir.path, 'wrong.test.yml');
    writeFileSync(
      testPath,
      JSON.stringify({
        rule_files: [rulesPath],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', input_series: c.series, alert_rule_test: [{ eval_time: c.at, alertname: rule.alert, exp_alerts: [] }] }],
      }),
    );
    await expect(run('promtool', ['test', 'rules', testPath])).rejects.toThrow();
  });
});
