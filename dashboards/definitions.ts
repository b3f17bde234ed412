import { DashboardBuilder, CustomVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PrometheusQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { WITHIN_NORM_TARGET, wilsonSql } from '../analytics/index.ts';
import { isBinaryProduct, PRODUCT_IDS, PRODUCTS, productsOfVendor, VENDOR_IDS, type ProductId } from '../events/index.ts';
import { PROMETHEUS_DATASOURCE } from './clickhouse-query.ts';
import { panel, rateWithCi, type PanelOptions, type PanelSpec } from './panels.ts';

const filter = "hospital IN (${hospital:singlequote}) AND product IN (${product:singlequote})";
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

function variables(builder: DashboardBuilder, hospitals: string[], products: string[]): DashboardBuilder {
  return builder
    .withVariable(new CustomVariableBuilder('hospital').label('Hospital').values(hospitals.join(',')).multi(true).includeAll(true))
    .withVariable(new CustomVariableBuilder('product').label('Product').values(products.join(',')).multi(true).includeAll(true));
}

const rangeCi = wilsonSql('viewed', 'eligible');

/** The adoption panels; the PACS integration matrix has a column per product of the deployment. */
export const adoptionPanels = (products: readonly ProductId[]): PanelSpec[] => [
  rateWithCi('Adoption per week', 'Viewed / eligible per hospital and product, with the 95 % Wilson interval', 'adoption_weekly', filter, "concat(hospital, ' ', product)"),
  {
    title: 'Funnel',
    description: 'Eligible → inferred → delivered to the PACS → viewed → verdict over the time range, and adoption (viewed / eligible) with its 95 % Wilson interval',
    kind: 'table',
    columnUnits: { adoption: 'percentunit', ci_low: 'percentunit', ci_high: 'percentunit' },
    sql: `SELECT hospital, product, sum(eligible) AS eligible, sum(inferred) AS inferred, sum(delivered) AS delivered, sum(viewed) AS viewed, sum(verdicts) AS verdicts,
                 viewed / eligible AS adoption, ${rangeCi.low} AS ci_low, ${rangeCi.high} AS ci_high
          FROM adoption_weekly FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY hospital, product ORDER BY hospital, product`,
    columns: ['hospital', 'product', 'eligible', 'inferred', 'delivered', 'viewed', 'verdicts', 'adoption', 'ci_low', 'ci_high'],
  },
  {
    title: 'Readers who looked at AI in at least 70 % of their cases',
    description: 'Readers with 5 or more verdicts; the pilot measured this for RBfracture',
    kind: 'table',
    columnUnits: { share_at_70: 'percentunit' },
    sql: `SELECT hospital, product, count() AS readers, countIf(share >= 0.7) AS readers_at_70, readers_at_70 / readers AS share_at_70
          FROM user_usage FINAL WHERE cases >= 5 AND ${filter} GROUP BY hospital, product ORDER BY hospital, product`,
    columns: ['hospital', 'product', 'readers', 'readers_at_70', 'share_at_70'],
  },
  {
    title: 'PACS integration',
    description: 'Share of inferred results delivered into the hospital PACS, hospital × product; empty where the product does not run',
    kind: 'table',
    columnUnits: Object.fromEntries(products.map((p) => [p, 'percentunit'])),
    sql: `SELECT hospital, ${products.map((p) => `if(sumIf(inferred, product = '${p}') = 0, NULL, sumIf(delivered, product = '${p}') / sumIf(inferred, product = '${p}')) AS \`${p}\``).join(', ')}
          FROM adoption_weekly FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY hospital ORDER BY hospital`,
    columns: ['hospital', ...products],
  },
  {
    title: 'Volumes',
    description: 'Eligible studies per week',
    kind: 'timeseries',
    sql: `SELECT toDateTime(week) AS time, concat(hospital, ' ', product) AS series, eligible FROM adoption_weekly FINAL
          WHERE $__timeFilter(week) AND ${filter} ORDER BY time, series`,
    columns: ['time', 'series', 'eligible'],
  },
];

export const TURNAROUND_PANELS: PanelSpec[] = [
  {
    title: 'Time to result per week against the norm',
    description: 'Acquisition to result in the PACS, 90th percentile per week, product, urgency and send mode — the highest among the chosen hospitals; the dashed line of the same colour is its norm',
    kind: 'timeseries',
    unit: 'm',
    dashedColumns: ['norm_min'],
    sql: `SELECT toDateTime(week) AS time, concat(product, ' ', urgency, ' ', send_mode) AS series,
                 max(p90_min) AS p90_min, any(norm_min) AS norm_min
          FROM turnaround_weekly FINAL WHERE $__timeFilter(week) AND ${filter}
          GROUP BY time, series ORDER BY time, series`,
    columns: ['time', 'series', 'p90_min', 'norm_min'],
  },
  {
    title: 'Time to result against the norm',
    description: 'Acquisition to result in the PACS, minutes: p50, p90, p95 and the norm, per product, urgency and send mode',
    kind: 'table',
    columnUnits: { p50_min: 'm', p90_min: 'm', p95_min: 'm', norm_min: 'm', within_norm: 'percentunit' },
    thresholds: { column: 'within_norm', base: 'red', steps: [{ value: WITHIN_NORM_TARGET, color: 'green' }] },
    sql: `SELECT hospital, product, urgency, send_mode, n, p50_min, p90_min, p95_min, norm_min, within_norm FROM turnaround FINAL WHERE ${filter} ORDER BY hospital, product, urgency, send_mode`,
    columns: ['hospital', 'product', 'urgency', 'send_mode', 'n', 'p50_min', 'p90_min', 'p95_min', 'norm_min', 'within_norm'],
  },
  {
    title: 'Stages',
    description: 'Median minutes of each stage',
    kind: 'table',
    columnUnits: Object.fromEntries(['acquired_to_received', 'received_to_routed', 'routed_to_inferred', 'inferred_to_delivered', 'delivered_to_viewed'].map((s) => [`${s}_p50_min`, 'm'])),
    sql: `SELECT hospital, product, urgency, send_mode, acquired_to_received_p50_min, received_to_routed_p50_min, routed_to_inferred_p50_min, inferred_to_delivered_p50_min, delivered_to_viewed_p50_min
          FROM turnaround FINAL WHERE ${filter} ORDER BY hospital, product, urgency, send_mode`,
    columns: ['hospital', 'product', 'urgency', 'send_mode', 'acquired_to_received_p50_min', 'received_to_routed_p50_min', 'routed_to_inferred_p50_min', 'inferred_to_delivered_p50_min', 'delivered_to_viewed_p50_min'],
  },
  {
    title: 'Breaches',
    description: 'Studies whose result came later than the norm (the most recent first); the trace id links to the study trace where tracing is configured',
    kind: 'table',
    columnUnits: { minutes: 'm', norm_min: 'm' },
    traceColumn: 'trace_id',
    sql: `SELECT received_at, hospital, product, urgency, send_mode, minutes, norm_min, study_key, trace_id
          FROM study_cases AS s FINAL INNER JOIN (SELECT product, urgency, norm_min FROM turnaround_norms FINAL) AS n ON s.product = n.product AND s.urgency = n.urgency
          WHERE minutes > norm_min AND week >= toMonday($__fromTime) AND week <= $__toTime AND $__timeFilter(received_at) AND ${filter.replace('hospital IN', 's.hospital IN').replace('product IN', 's.product IN')}
          ORDER BY received_at DESC LIMIT 200`,
    columns: ['received_at', 'hospital', 'product', 'urgency', 'send_mode', 'minutes', 'norm_min', 'study_key', 'trace_id'],
  },
  {
    title: 'Gateway availability',
    description: 'Uptime per gateway and day from heartbeats, against the target',
    kind: 'timeseries',
    unit: 'percentunit',
    dashedColumns: ['target'],
    sql: `SELECT toDateTime(day) AS time, hospital AS series, uptime, target FROM availability_daily FINAL
          WHERE $__timeFilter(day) AND hospital IN (\${hospital:singlequote}) ORDER BY time, series`,
    columns: ['time', 'series', 'uptime', 'target'],
  },
];

export function vendorPanels(vendor: string): PanelSpec[] {
  const products = productsOfVendor(vendor);
  const own = `product IN (${list(products)})`;
  // Qualified: the tables below show hospital '' as 'network' under the same name.
  const scope = `${own} AND performance.hospital IN (\${hospital:singlequote}, '')`;
  const overTime = (title: string, description: string, unit: string, kinds: ProductId[], metrics: string[]): PanelSpec => ({
    title,
    description,
    kind: 'timeseries',
    unit,
    sql: `SELECT toDateTime(window_start) AS time, concat(if(hospital = '', 'network', hospital), ' ', product, ' ', metric) AS series, value, ci_low, ci_high
          FROM performance FINAL WHERE ${scope} AND product IN (${list(kinds)}) AND subgroup = 'all' AND metric IN (${list(metrics)})
            AND window_end - window_start <= 31 AND $__timeFilter(window_start) ORDER BY time, series`,
    columns: ['time', 'series', 'value', 'ci_low', 'ci_high'],
  });
  const binary = products.filter(isBinaryProduct);
  const continuous = products.filter((p) => !isBinaryProduct(p));
  return [
    ...(binary.length
      ? [overTime('Sensitivity, specificity and PPV over time', 'Per month against the radiologist verdicts, with 95 % Wilson intervals; "network" is every hospital together', 'percentunit', binary, ['sensitivity', 'specificity', 'ppv'])]
      : []),
    ...(continuous.length
      ? [overTime('Agreement with the radiologist over time', 'Mean absolute and mean signed difference per month, in years, with 95 % intervals; "network" is every hospital together', 'suffix: years', continuous, ['mean_absolute_difference', 'mean_difference'])]
      : []),
    {
      title: 'Drift monitors',
      description: 'CUSUM statistic against its threshold, and the label-free signals; status alarm, watch, ok or insufficient-data',
      kind: 'table',
      sql: `SELECT hospital, product, model_version, metric, statistic, threshold, status, since, expected_delay_days, min_detectable FROM drift FINAL WHERE ${own} AND hospital IN (\${hospital:singlequote}) ORDER BY hospital, product, metric`,
      columns: ['hospital', 'product', 'model_version', 'metric', 'statistic', 'threshold', 'status', 'since', 'expected_delay_days', 'min_detectable'],
    },
    {
      title: 'Subgroups',
      description: 'Whole window, per age band, sex and scanner make; cells under 10 are marked',
      kind: 'table',
      sql: `SELECT if(hospital = '', 'network', hospital) AS hospital, product, metric, subgroup, n, value, ci_low, ci_high, small_cell FROM performance FINAL
            WHERE ${scope} AND subgroup != 'all' ORDER BY hospital, product, metric, subgroup`,
      columns: ['hospital', 'product', 'metric', 'subgroup', 'n', 'value', 'ci_low', 'ci_high', 'small_cell'],
    },
    {
      title: 'Each hospital against the network',
      description: 'Whole window',
      kind: 'table',
      sql: `SELECT if(hospital = '', 'network', hospital) AS hospital, product, model_version, metric, n, value, ci_low, ci_high FROM performance FINAL
            WHERE ${scope} AND subgroup = 'all' AND window_end - window_start > 31 ORDER BY product, metric, hospital`,
      columns: ['hospital', 'product', 'model_version', 'metric', 'n', 'value', 'ci_low', 'ci_high'],
    },
  ];
}

export interface DashboardDefinition {
  uid: string;
  title: string;
  audience: 'lead' | 'ops' | `vendor:${string}`;
  /** The hospitals and products its variables offer. */
  hospitals: string[];
  products: ProductId[];
  /** The ClickHouse panels (none for the Prometheus dashboard). */
  panels: PanelSpec[];
  json: unknown;
}

function clickhouseDashboard(uid: string, title: string, panels: PanelSpec[], products: string[], options: DashboardOptions): unknown {
  let builder = variables(new DashboardBuilder(title).uid(uid).tags(['aifi', 'generated']).time({ from: 'now-90d', to: 'now' }).refresh('5m').timezone('utc'), options.hospitals, products);
  for (const spec of panels) builder = builder.withPanel(panel(spec, options));
  return builder.build();
}

/** Platform health over the services' /metrics (Prometheus). */
function platformDashboard(): unknown {
  const prom = (title: string, expr: string, unit: string) =>
    new TimeseriesPanel().title(title).unit(unit).datasource(PROMETHEUS_DATASOURCE).withTarget(new PrometheusQuery().expr(expr).legendFormat('{{instance}} {{reason}}{{partition}}'));
  return new DashboardBuilder('AIFI platform health')
    .uid('aifi-platform')
    .tags(['aifi', 'generated'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .withPanel(prom('Events accepted per second', 'sum(rate(aifi_collector_events_accepted_total[5m]))', 'ops'))
    .withPanel(prom('Rejections by reason', 'sum by (reason) (rate(aifi_collector_events_rejected_total[5m]))', 'ops'))
    .withPanel(prom('Dead letters (15 min)', 'sum(increase(aifi_collector_dlq_messages_total[15m]))', 'short'))
    .withPanel(prom('Consumer lag', 'sum by (partition) (aifi_collector_consumer_lag_messages)', 'short'))
    .withPanel(prom('Flush latency p99', 'histogram_quantile(0.99, sum by (le) (rate(aifi_collector_flush_seconds_bucket[5m])))', 's'))
    .withPanel(prom('Write queue fill', 'aifi_collector_queue_rows / aifi_collector_queue_capacity_rows', 'percentunit'))
    .build();
}

export interface DashboardOptions extends PanelOptions {
  /** The hospitals of the deployment (the hospitals file), which the hospital variable offers. */
  hospitals: string[];
  /** The products its hospitals contract (default: the whole catalogue); a vendor none of whose products is among them gets no dashboard. */
  products?: readonly ProductId[];
}

/** Every dashboard: adoption (project leads), turnaround (ops), one per vendor, platform health (ops). */
export function dashboards(options: DashboardOptions): DashboardDefinition[] {
  const all = PRODUCT_IDS.filter((p) => !options.products || options.products.includes(p));
  const clickhouse = (uid: string, title: string, audience: DashboardDefinition['audience'], panels: PanelSpec[], products: ProductId[], grafanaTitle = title): DashboardDefinition => ({
    uid,
    title,
    audience,
    hospitals: options.hospitals,
    products,
    panels,
    json: clickhouseDashboard(uid, grafanaTitle, panels, products, options),
  });
  const result: DashboardDefinition[] = [
    clickhouse('aifi-adoption', 'AIFI adoption', 'lead', adoptionPanels(all), all),
    clickhouse('aifi-turnaround', 'AIFI turnaround and SLA', 'ops', TURNAROUND_PANELS, all),
  ];
  for (const vendor of VENDOR_IDS.filter((v) => productsOfVendor(v).some((p) => all.includes(p)))) {
    const products = productsOfVendor(vendor);
    const names = products.map((p) => PRODUCTS[p].name).join(', ');
    result.push(clickhouse(`aifi-vendor-${vendor}`, `Clinical performance and drift — ${vendor} (${names})`, `vendor:${vendor}`, vendorPanels(vendor), products, `Clinical performance and drift — ${vendor}`));
  }
  result.push({ uid: 'aifi-platform', title: 'AIFI platform health', audience: 'ops', hospitals: options.hospitals, products: [], panels: [], json: platformDashboard() });
  return result;
}
