import { DEFAULT_CONTRACTS, WITHIN_NORM_TARGET, type Contracts } from '../analytics/index.ts';
import { PRODUCTS, type ProductId } from '../events/index.ts';

/** An alert as Alertmanager's API v2 takes it. */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** What the analytics alerts read: the report's rows (see analytics/report.ts). */
export interface AlertInputs {
  adoption: Record<string, unknown>[];
  turnaround: Record<string, unknown>[];
  availability: Record<string, unknown>[];
  drift: Record<string, unknown>[];
  /** Cost per hospital x product x contract year (the report's `cost`); no cost alerts without it. */
  cost?: Record<string, unknown>[];
}

export interface AnalyticsAlertOptions {
  /** Turnaround: alert when the share within the norm is below this (default 0.8). */
  withinNormBelow?: number;
  /** Adoption: weeks of the hospital's own trailing level (default 4). */
  trailingWeeks?: number;
  /** Availability: days at the end of the window looked at (default 7). */
  availabilityDays?: number;
  /** Cost: each product's bound on the cost per used result (`maxCostPerUsedResultCents`); the pilot's assumed contracts by default. */
  contracts?: Contracts;
}

const SOURCE = 'aifi-analytics';
const n = (v: unknown) => Number(v);
const s = (v: unknown) => String(v);

/**
 * The alerts that the current analytics results call for, each with a stable
 * identity (its labels): evaluating again yields the same alerts, which
 * Alertmanager deduplicates. Drift goes to the product's vendor, turnaround and
 * availability to ops, adoption drops to project leads.
 */
export function analyticsAlerts(inputs: AlertInputs, options: AnalyticsAlertOptions = {}): Alert[] {
  const alerts: Alert[] = [];
  for (const d of inputs.drift) {
    if (d.status !== 'alarm') continue;
    const product = s(d.product) as ProductId;
    const info = PRODUCTS[product];
    if (!info) continue;
    const labelled = d.metric === 'sensitivity' || d.metric === 'specificity';
    alerts.push({
      labels: {
        alertname: 'ModelDrift',
        source: SOURCE,
        audience: 'vendor',
        vendor: info.vendor,
        hospital: s(d.hospital),
        product,
        metric: s(d.metric),
        model_version: s(d.model_version),
        severity: labelled ? 'critical' : 'warning',
      },
      annotations: {
        summary: `${info.name} ${s(d.metric).replace('_', ' ')} at ${s(d.hospital)} has moved from its reference (model ${s(d.model_version)})`,
        description: labelled
          ? `${s(d.metric)} reference ${n(d.baseline).toFixed(3)} (95 % ${n(d.baseline_low).toFixed(3)}-${n(d.baseline_high).toFixed(3)}); evidence of a fall at ${n(d.statistic).toFixed(2)} of its threshold${d.since ? `, first signal ${s(d.since)}` : ''}${d.onset ? `, estimated onset ${s(d.onset)}` : ''}`
          : `statistic ${n(d.statistic).toFixed(2)} against threshold ${n(d.threshold).toFixed(2)}${d.since ? `, since ${s(d.since)}` : ''}`,
      },
    });
  }
  const below = options.withinNormBelow ?? WITHIN_NORM_TARGET;
  for (const t of inputs.turnaround) {
    if (n(t.n) < 20 || n(t.within_norm) >= below) continue;
    alerts.push({
      labels: {
        alertname: 'TurnaroundBreach',
        source: SOURCE,
        audience: 'ops',
        hospital: s(t.hospital),
        product: s(t.product),
        urgency: s(t.urgency),
        send_mode: s(t.send_mode),
        severity: 'warning',
      },
      annotations: {
        summary: `${s(t.product)} results at ${s(t.hospital)} (${s(t.urgency)}, ${s(t.send_mode)}): ${(n(t.within_norm) * 100).toFixed(0)} % within the ${n(t.norm_min)} min norm`,
        description: `p90 ${n(t.p90_min).toFixed(0)} min over ${n(t.n)} studies`,
      },
    });
  }
  const days = options.availabilityDays ?? 7;
  const lastDay = inputs.availability.reduce((m, a) => (s(a.day) > m ? s(a.day) : m), '');
  const since = lastDay ? new Date(Date.parse(lastDay) - (days - 1) * 86_400_000).toISOString().slice(0, 10) : '';
  const worst = new Map<string, Record<string, unknown>>();
  for (const a of inputs.availability) {
    if (s(a.day) < since || n(a.uptime) >= n(a.target)) continue;
    const current = worst.get(s(a.hospital));
    if (!current || n(a.uptime) < n(current.uptime)) worst.set(s(a.hospital), a);
  }
  for (const [hospital, a] of worst) {
    alerts.push({
      labels: { alertname: 'GatewayAvailabilityLow', source: SOURCE, audience: 'ops', hospital, severity: 'critical' },
      annotations: {
        summary: `Gateway of ${hospital} below its availability target`,
        description: `${(n(a.uptime) * 100).toFixed(1)} % up on ${s(a.day)} (target ${(n(a.target) * 100).toFixed(1)} %)`,
      },
    });
  }
  const trailing = options.trailingWeeks ?? 4;
  const byCell = new Map<string, Record<string, unknown>[]>();
  for (const row of inputs.adoption) {
    const key = `${s(row.hospital)}|${s(row.product)}`;
    (byCell.get(key) ?? byCell.set(key, []).get(key)!).push(row);
  }
  for (const rows of byCell.values()) {
    const sorted = [...rows].sort((a, b) => s(a.week).localeCompare(s(b.week)));
    if (sorted.length < trailing + 2) continue;
    // The last complete week against the weeks before it; the current week may be partial.
    const latest = sorted[sorted.length - 2]!;
    const before = sorted.slice(-2 - trailing, -2);
    const level = before.reduce((sum, r) => sum + n(r.viewed), 0) / Math.max(1, before.reduce((sum, r) => sum + n(r.eligible), 0));
    if (n(latest.eligible) < 10 || n(latest.ci_high) >= level) continue;
    alerts.push({
      labels: { alertname: 'AdoptionDrop', source: SOURCE, audience: 'lead', hospital: s(latest.hospital), product: s(latest.product), severity: 'warning' },
      annotations: {
        summary: `Use of ${s(latest.product)} at ${s(latest.hospital)} dropped in the week of ${s(latest.week)}`,
        description: `${(n(latest.rate) * 100).toFixed(0)} % of eligible results viewed (95 % CI up to ${(n(latest.ci_high) * 100).toFixed(0)} %), against ${(level * 100).toFixed(0)} % over the ${trailing} weeks before`,
      },
    });
  }
  alerts.push(...costAlerts(inputs.cost ?? [], options.contracts ?? DEFAULT_CONTRACTS));
  return alerts;
}

/**
 * A product that costs a hospital more per used (viewed) result than its
 * contract's bound, over the whole months of its latest contract year (the
 * latest month may be unfinished), goes to the project leads.
 */
function costAlerts(cost: Record<string, unknown>[], contracts: Contracts): Alert[] {
  const latest = new Map<string, Record<string, unknown>>();
  for (const row of cost) {
    const key = `${s(row.hospital)}|${s(row.product)}`;
    if (s(row.product) !== '' && s(row.contract_year) > s(latest.get(key)?.contract_year ?? '')) latest.set(key, row);
  }
  const alerts: Alert[] = [];
  for (const row of latest.values()) {
    const bound = contracts.products[s(row.product) as keyof Contracts['products']]?.maxCostPerUsedResultCents;
    const joint = n(row.whole_joint_eur);
    if (bound === undefined || !(n(row.whole_months) >= 1) || joint <= 0) continue;
    const perUsed = n(row.whole_viewed) > 0 ? (joint * 100) / n(row.whole_viewed) : Infinity;
    if (perUsed <= bound) continue;
    alerts.push({
      labels: { alertname: 'CostPerUsedResultHigh', source: SOURCE, audience: 'lead', hospital: s(row.hospital), product: s(row.product), severity: 'warning' },
      annotations: {
        summary: `${s(row.product)} at ${s(row.hospital)} costs ${Number.isFinite(perUsed) ? `EUR ${(perUsed / 100).toFixed(2)}` : 'money but no result was used'} per used result, over the bound of EUR ${(bound / 100).toFixed(2)}`,
        description: `contract year from ${s(row.contract_year)}, ${n(row.whole_months)} whole months: EUR ${joint.toFixed(2)}, ${n(row.whole_viewed)} results viewed`,
      },
    });
  }
  return alerts;
}

const identity = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());

/**
 * Sends the current analytics alerts to Alertmanager (API v2) and resolves the
 * ones it holds from earlier evaluations that no longer apply. Alerts are sent
 * with an end time past the next evaluation, so they stay active between runs
 * and lapse by themselves if evaluation stops.
 */
export async function publishAlerts(alertmanagerUrl: string, alerts: Alert[], options: { validForMs?: number; now?: number } = {}): Promise<{ firing: number; resolved: number }> {
  const now = options.now ?? Date.now();
  const endsAt = new Date(now + (options.validForMs ?? 15 * 60_000)).toISOString();
  const base = alertmanagerUrl.replace(/\/$/, '');
  const active = await fetch(`${base}/api/v2/alerts?active=true&silenced=true&inhibited=true&filter=${encodeURIComponent(`source="${SOURCE}"`)}`);
  if (!active.ok) throw new Error(`Alertmanager at ${base} answered ${active.status} listing alerts`);
  const held = (await active.json()) as { labels: Record<string, string> }[];
  const current = new Set(alerts.map((a) => identity(a.labels)));
  const resolved = held
    .filter((h) => !current.has(identity(h.labels)))
    .map((h) => ({ labels: h.labels, annotations: {}, endsAt: new Date(now).toISOString() }));
  const body = [...alerts.map((a) => ({ ...a, endsAt, generatorURL: a.generatorURL ?? 'aifi://analytics' })), ...resolved];
  if (body.length) {
    const response = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`Alertmanager at ${base} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  return { firing: alerts.length, resolved: resolved.length };
}
