import { VENDOR_IDS } from '../events/index.ts';

export interface AlertmanagerReceivers {
  ops: string;
  leads: string;
  /** One webhook per vendor: each receives only its own products' alerts. */
  vendors: Record<string, string>;
}

export interface AlertmanagerTiming {
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

/**
 * Alertmanager's configuration: routes by audience, and by vendor within the
 * vendor audience, so that each vendor gets only its own alerts; grouping per
 * alert name and hospital; a gateway outage inhibits that hospital's turnaround
 * alerts (late results follow from the outage, and ops hears of it once).
 */
export function alertmanagerConfig(receivers: AlertmanagerReceivers, timing: AlertmanagerTiming = {}): Record<string, unknown> {
  const webhook = (url: string) => [{ url, send_resolved: true }];
  return {
    route: {
      receiver: 'nobody',
      group_by: ['alertname', 'hospital'],
      group_wait: timing.groupWait ?? '30s',
      group_interval: timing.groupInterval ?? '5m',
      repeat_interval: timing.repeatInterval ?? '4h',
      routes: [
        { matchers: ['audience="ops"'], receiver: 'ops' },
        { matchers: ['audience="lead"'], receiver: 'leads' },
        ...VENDOR_IDS.map((vendor) => ({ matchers: ['audience="vendor"', `vendor="${vendor}"`], receiver: `vendor-${vendor}`, group_by: ['alertname', 'product', 'hospital'] })),
      ],
    },
    receivers: [
      { name: 'nobody' },
      { name: 'ops', webhook_configs: webhook(receivers.ops) },
      { name: 'leads', webhook_configs: webhook(receivers.leads) },
      ...VENDOR_IDS.map((vendor) => ({ name: `vendor-${vendor}`, webhook_configs: webhook(receivers.vendors[vendor] ?? `http://127.0.0.1:9/unconfigured-${vendor}`) })),
    ],
    inhibit_rules: [
      {
        source_matchers: ['alertname=~"GatewayDown|GatewayAvailabilityLow"'],
        target_matchers: ['alertname=~"TurnaroundBreach|TurnaroundP90OverNorm|TurnaroundBreachShareHigh"'],
        equal: ['hospital'],
      },
    ],
  };
}
