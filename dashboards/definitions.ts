import { DashboardBuilder, CustomVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PrometheusQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { histogramMedianSql, histogramQuantileSql, WITHIN_NORM_TARGET, wilsonSql } from '../analytics/index.ts';
import { isBinaryProduct, PRODUCT_IDS, PRODUCTS, productsOfVendor, VENDOR_IDS, type ProductId } from '../events/index.ts';
import { PROMETHEUS_DATASOURCE } from './clickhouse-query.ts';
import { costPanels } from './cost-panels.ts';
import { overPeriods, panel, rateWithCi, type PanelOptions, type PanelSpec } from './panels.ts';

const filter = "hospital IN (${hospital:singlequote}) AND product IN (${product:singlequote})";
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

function variables(builder: DashboardBuilder, hospitals: string[], products: string[]): DashboardBuilder {
  return builder
    .withVariable(new CustomVariableBuilder('hospital').label('Hospital').values(hospitals.join(',')).multi(true).includeAll(true))
    .withVariable(new CustomVariableBuilder('product').label('Product').values(products.join(',')).multi(true).includeAll(true));
}

const rangeCi = wilsonSql('viewed', 'eligible');
const pooledCi = wilsonSql('x', 'n');
const STAGE_NAMES = ['acquired_to_received', 'received_to_routed', 'routed_to_inferred', 'inferred_to_delivered', 'delivered_to_viewed'];
/**
 * A heat map of a share x / n over the time range: one row per hospital, one
 * column per product (empty where it does not run), each cell coloured.
 */
function heatmap(products: readonly ProductId[], title: string, description: string, from: string, x: string, n: string, base: string, steps: { value: number; color: string }[]): PanelSpec {
  const share = (p: string) => `if(sumIf(${n}, product = '${p}') = 0, NULL, sumIf(${x}, product = '${p}') / sumIf(${n}, product = '${p}')) AS \`${p}\``;
  return {
    title,
    description,
    kind: 'table',
    columnUnits: Object.fromEntries(products.map((p) => [p, 'percentunit'])),
    heatmap: { columns: [...products], base, steps },
    sql: `SELECT hospital, ${products.map(share).join(', ')}
          FROM ${from} FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY hospital ORDER BY hospital`,
    columns: ['hospital', ...products],
  };
}

/** The adoption panels; the heat maps have a column per product of the deployment. */
export const adoptionPanels = (products: readonly ProductId[]): PanelSpec[] => [
  {
    ...rateWithCi(
      'Adoption per week',
      'Viewed / eligible per product over the chosen hospitals (the network by default), with the 95 % Wilson interval, a small chart per product; the unfinished week is a hollow point',
      'adoption_weekly',
      filter,
      'product',
      'viewed',
      'eligible',
      pooledCi,
    ),
    smallMultiples: true,
  },
  heatmap(
    products,
    'Adoption, hospital × product',
    'Viewed / eligible over the time range, each hospital against each product it runs; red below half, amber below 70 %, green from 70 %',
    'adoption_weekly',
    'viewed',
    'eligible',
    'red',
    [{ value: 0.5, color: 'amber' }, { value: 0.7, color: 'green' }],
  ),
  {
    title: 'Adoption against its own trailing level',
    description: 'Hospital × product ranked by the change of adoption in the last 4 finished weeks against the 8 before them (most fallen first); cells with fewer than 20 eligible studies in either span are left out',
    kind: 'table',
    columnUnits: { recent: 'percentunit', trailing: 'percentunit', change: 'percentunit' },
    sql: `SELECT hospital, product, sumIf(eligible, recent_span) AS recent_eligible, sumIf(viewed, recent_span) / recent_eligible AS recent,
                 sumIf(eligible, NOT recent_span) AS trailing_eligible, sumIf(viewed, NOT recent_span) / trailing_eligible AS trailing, recent - trailing AS change
          FROM (SELECT *, week >= toMonday($__toTime) - 28 AS recent_span FROM adoption_weekly FINAL
                WHERE week >= toMonday($__toTime) - 84 AND week + 7 <= $__toTime AND ${filter})
          GROUP BY hospital, product HAVING recent_eligible >= 20 AND trailing_eligible >= 20 ORDER BY change, hospital, product LIMIT 100`,
    columns: ['hospital', 'product', 'recent_eligible', 'recent', 'trailing_eligible', 'trailing', 'change'],
  },
  {
    title: 'Funnel',
    description: 'Eligible → inferred → delivered to the PACS → viewed → verdict over the time range and the chosen hospitals (the network by default), per product, and adoption (viewed / eligible) with its 95 % Wilson interval',
    kind: 'table',
    columnUnits: { adoption: 'percentunit', ci_low: 'percentunit', ci_high: 'percentunit' },
    sql: `SELECT product, uniqExact(hospital) AS hospitals, sum(eligible) AS eligible, sum(inferred) AS inferred, sum(delivered) AS delivered, sum(viewed) AS viewed, sum(verdicts) AS verdicts,
                 viewed / eligible AS adoption, ${rangeCi.low} AS ci_low, ${rangeCi.high} AS ci_high
          FROM adoption_weekly FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY product ORDER BY product`,
    columns: ['product', 'hospitals', 'eligible', 'inferred', 'delivered', 'viewed', 'verdicts', 'adoption', 'ci_low', 'ci_high'],
  },
  {
    title: 'Readers who looked at AI in at least 70 % of their cases',
    description: 'Readers with 5 or more verdicts, per product over the chosen hospitals; the pilot measured this for RBfracture',
    kind: 'table',
    columnUnits: { share_at_70: 'percentunit' },
    sql: `SELECT product, uniqExact(hospital) AS hospitals, count() AS readers, countIf(share >= 0.7) AS readers_at_70, readers_at_70 / readers AS share_at_70
          FROM user_usage FINAL WHERE cases >= 5 AND ${filter} GROUP BY product ORDER BY product`,
    columns: ['product', 'hospitals', 'readers', 'readers_at_70', 'share_at_70'],
  },
  heatmap(
    products,
    'PACS integration',
    'Share of inferred results delivered into the hospital PACS, hospital × product; empty where the product does not run',
    'adoption_weekly',
    'delivered',
    'inferred',
    'red',
    [{ value: 0.95, color: 'green' }],
  ),
  // --- result forms in the PACS (what each hospital received) ---
  {
    title: 'What each PACS received',
    description:
      'Per hospital and product over the time range: how results reached the PACS (STOW-RS or C-STORE) and, per form (sr: TID 1500 SR, sc: Secondary Capture, ko: Key Object Selection), forms sent and acknowledged by the PACS, and the DICOM status of its latest refusal; results without a per-form record count as the form of their channel; the 100 pairs with the most unacknowledged forms first',
    kind: 'table',
    sql: `SELECT hospital, product, argMax(via, occurred_at) AS via,
                 countIf(form = 'sr') AS sr_sent, countIf(form = 'sr' AND acknowledged = 1) AS sr_acknowledged,
                 countIf(form = 'sc') AS sc_sent, countIf(form = 'sc' AND acknowledged = 1) AS sc_acknowledged,
                 countIf(form = 'ko') AS ko_sent, countIf(form = 'ko' AND acknowledged = 1) AS ko_acknowledged,
                 countIf(acknowledged = 0) AS unacknowledged, argMaxIf(status, occurred_at, acknowledged = 0) AS last_refusal_status
          FROM pacs_forms FINAL
          WHERE day >= toDate($__fromTime, 'UTC') AND day <= toDate($__toTime, 'UTC') AND $__timeFilter(occurred_at) AND ${filter}
          GROUP BY hospital, product ORDER BY unacknowledged DESC, hospital, product LIMIT 100`,
    columns: ['hospital', 'product', 'via', 'sr_sent', 'sr_acknowledged', 'sc_sent', 'sc_acknowledged', 'ko_sent', 'ko_acknowledged', 'unacknowledged', 'last_refusal_status'],
  },
  // --- end of result forms ---
  {
    title: 'Volumes',
    description: 'Eligible studies per week and product over the chosen hospitals, a small chart per product; the unfinished week is a hollow point',
    kind: 'timeseries',
    smallMultiples: true,
    ...overPeriods(
      `SELECT toDateTime(week) AS time, toDateTime(week + 7) AS period_end, product AS series, sum(eligible) AS eligible FROM adoption_weekly FINAL
       WHERE $__timeFilter(week) AND ${filter} GROUP BY time, period_end, series`,
      ['eligible'],
    ),
  },
  ...costPanels(filter),
  ...benefitPanels(),
];

/** The measured benefit (analytics/benefit.ts): per hospital, since no pooling of hospitals is a fair comparison; over all time. */
function benefitPanels(): PanelSpec[] {
  return [
    {
      title: 'Measured benefit: time to the final report',
      description:
        'Minutes from acquisition to the first final report from the RIS, all urgencies and each: (a) AI result viewed before signing against (b) not, after go-live; and after against before go-live (the first result that reached a reader). ' +
        'difference = a − b (negative: faster), the Hodges–Lehmann estimate with its 95 % interval, beside both medians and the counts; the case mix of both arms (urgency, modality, age band) is compared and a difference named. ' +
        'Over all time, per hospital; rows whose interval lies below zero first.',
      kind: 'table',
      columnUnits: { median_a_min: 'm', median_b_min: 'm', difference_min: 'm', ci_low_min: 'm', ci_high_min: 'm' },
      thresholds: { column: 'ci_high_min', base: 'green', steps: [{ value: 0, color: 'text' }] },
      sql: `SELECT hospital, product, if(urgency = '', 'all', urgency) AS urgency, comparison, n_a, n_b, median_a_min, median_b_min, difference_min, ci_low_min, ci_high_min,
                   case_mix_caution, unreported, small_cell
            FROM benefit FINAL WHERE ${filter}
            ORDER BY ifNull(ci_high_min < 0, 0) DESC, comparison DESC, product, hospital, urgency LIMIT 100`,
      columns: ['hospital', 'product', 'urgency', 'comparison', 'n_a', 'n_b', 'median_a_min', 'median_b_min', 'difference_min', 'ci_low_min', 'ci_high_min', 'case_mix_caution', 'unreported', 'small_cell'],
    },
    {
      title: "The report's coded finding against the AI",
      description: "Studies whose final report codes the finding a product looks for (SNOMED CT), per hospital and product: agreement of report and AI with its 95 % Wilson interval, and the disagreements each way",
      kind: 'table',
      columnUnits: { agreement: 'percentunit', ci_low: 'percentunit', ci_high: 'percentunit' },
      sql: `SELECT hospital, product, concept, coded, both_positive, ai_only, report_only, both_negative, agreement, ci_low, ci_high, small_cell
            FROM report_agreement FINAL WHERE ${filter} ORDER BY agreement, hospital, product LIMIT 100`,
      columns: ['hospital', 'product', 'concept', 'coded', 'both_positive', 'ai_only', 'report_only', 'both_negative', 'agreement', 'ci_low', 'ci_high', 'small_cell'],
    },
  ];
}

const th = 'sumMap(total_hist)';

/** The turnaround panels; the heat map has a column per product of the deployment. */
export const turnaroundPanels = (products: readonly ProductId[]): PanelSpec[] => [
  {
    title: 'Time to result within the norm per week',
    description: 'Share of results in the PACS within the norm of their exam type, per product over the chosen hospitals (the network by default), with the 95 % Wilson interval, a small chart per product; dashed, the target; the unfinished week is a hollow point',
    kind: 'timeseries',
    smallMultiples: true,
    unit: 'percentunit',
    dashedColumns: ['target'],
    ...overPeriods(
      `SELECT toDateTime(week) AS time, toDateTime(week + 7) AS period_end, product AS series, sum(within) AS x, sum(n) AS n,
              if(n = 0, NULL, x / n) AS within_norm, ${pooledCi.low} AS ci_low, ${pooledCi.high} AS ci_high, ${WITHIN_NORM_TARGET} AS target
       FROM turnaround_weekly FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY time, period_end, series`,
      ['within_norm'],
      ['ci_low', 'ci_high'],
      ['target'],
    ),
  },
  heatmap(
    products,
    'Within the norm, hospital × product',
    'Share of results within the norm over the time range, each hospital against each product; red below the target',
    'turnaround_weekly',
    'within',
    'n',
    'red',
    [{ value: WITHIN_NORM_TARGET, color: 'green' }],
  ),
  {
    title: 'Time to result against the norm',
    description: 'Acquisition to result in the PACS over the time range and the chosen hospitals, minutes: p50, p90, p95 and the norm, per product, urgency and send mode; studies with an impossible time are excluded and counted, and so are those with an implausibly long one (beyond AIFI_TURNAROUND_MAX_MINUTES)',
    kind: 'table',
    columnUnits: { p50_min: 'm', p90_min: 'm', p95_min: 'm', norm_min: 'm', within_norm: 'percentunit' },
    thresholds: { column: 'within_norm', base: 'red', steps: [{ value: WITHIN_NORM_TARGET, color: 'green' }] },
    sql: `SELECT product, urgency, send_mode, sum(n) AS studies, sum(excluded) AS excluded, sum(implausible) AS implausible, ${histogramQuantileSql(0.5, th)} AS p50_min, ${histogramQuantileSql(0.9, th)} AS p90_min,
                 ${histogramQuantileSql(0.95, th)} AS p95_min, max(norm_min) AS norm_min, if(studies = 0, 0, sum(within) / studies) AS within_norm
          FROM turnaround_weekly FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY product, urgency, send_mode ORDER BY product, urgency, send_mode`,
    columns: ['product', 'urgency', 'send_mode', 'studies', 'excluded', 'implausible', 'p50_min', 'p90_min', 'p95_min', 'norm_min', 'within_norm'],
  },
  {
    title: 'Stages',
    description: 'Median minutes of each stage over the time range and the chosen hospitals, per product, urgency and send mode',
    kind: 'table',
    columnUnits: Object.fromEntries(STAGE_NAMES.map((st) => [`${st}_p50_min`, 'm'])),
    sql: `SELECT product, urgency, send_mode, ${STAGE_NAMES.map((st) => `${histogramQuantileSql(0.5, `sumMap(${st}_hist)`)} AS ${st}_p50_min`).join(', ')}
          FROM turnaround_weekly FINAL WHERE $__timeFilter(week) AND ${filter} GROUP BY product, urgency, send_mode ORDER BY product, urgency, send_mode`,
    columns: ['product', 'urgency', 'send_mode', ...STAGE_NAMES.map((st) => `${st}_p50_min`)],
  },
  {
    title: 'Data quality per hospital and device',
    description:
      'Results whose clocks make the time to result impossible (the acquisition after the receipt or the result: excluded from the time to result, counted there as excluded), times to result beyond AIFI_TURNAROUND_MAX_MINUTES (implausible: also left out of it), later stages that end before they start, and the clock offset they imply: how much further the device puts the acquisition ahead of the receipt than the chosen hospitals typically do (median, automatic sends, minutes; positive is fast); worst first',
    kind: 'table',
    columnUnits: { impossible_share: 'percentunit', clock_offset_min: 'm' },
    thresholds: { column: 'impossible_share', base: 'green', steps: [{ value: 0.01, color: 'red' }] },
    sql: `WITH (SELECT ${histogramMedianSql('sumMap(lead_hist)')} FROM data_quality_weekly FINAL WHERE $__timeFilter(week) AND ${filter}) AS typical_lead
          SELECT hospital, manufacturer, device_model, sum(results) AS results, sum(impossible) AS impossible, if(results = 0, 0, impossible / results) AS impossible_share, sum(implausible) AS implausible,
                 sum(negative_stages) AS negative_stages, ${histogramMedianSql('sumMap(lead_hist)')} - typical_lead AS clock_offset_min
          FROM data_quality_weekly FINAL WHERE $__timeFilter(week) AND ${filter}
          GROUP BY hospital, manufacturer, device_model ORDER BY impossible_share DESC, abs(ifNull(clock_offset_min, 0)) DESC, hospital, manufacturer, device_model LIMIT 100`,
    columns: ['hospital', 'manufacturer', 'device_model', 'results', 'impossible', 'impossible_share', 'implausible', 'negative_stages', 'clock_offset_min'],
  },
  {
    title: 'Breaches',
    description: 'The 100 most recent studies whose result came later than the norm; the trace id links to the study trace where tracing is configured',
    kind: 'table',
    columnUnits: { minutes: 'm', norm_min: 'm' },
    traceColumn: 'trace_id',
    sql: `SELECT received_at, hospital, product, urgency, send_mode, minutes, norm_min, study_key, trace_id
          FROM study_cases AS s FINAL INNER JOIN (SELECT product, urgency, norm_min FROM turnaround_norms FINAL) AS n ON s.product = n.product AND s.urgency = n.urgency
          WHERE minutes > norm_min AND week >= toMonday($__fromTime) AND week <= $__toTime AND $__timeFilter(received_at) AND ${filter.replace('hospital IN', 's.hospital IN').replace('product IN', 's.product IN')}
          ORDER BY received_at DESC LIMIT 100`,
    columns: ['received_at', 'hospital', 'product', 'urgency', 'send_mode', 'minutes', 'norm_min', 'study_key', 'trace_id'],
  },
  {
    title: 'Gateway availability',
    description: 'Uptime per day from heartbeats: the mean over the chosen gateways and the lowest of them, against the target (dashed); the unfinished day is a hollow point',
    kind: 'timeseries',
    unit: 'percentunit',
    dashedColumns: ['target'],
    ...overPeriods(
      `SELECT toDateTime(day) AS time, toDateTime(day + 1) AS period_end, s.1 AS series, s.2 AS uptime, target
       FROM (SELECT day, avg(uptime) AS mean, min(uptime) AS lowest, any(target) AS target FROM availability_daily FINAL
             WHERE $__timeFilter(day) AND hospital IN (\${hospital:singlequote}) GROUP BY day)
       ARRAY JOIN [('mean', mean), ('lowest', lowest)] AS s`,
      ['uptime'],
      [],
      ['target'],
    ),
  },
];

/** A chart over time draws the network, and besides it each chosen hospital when at most this many are chosen. */
const DRILL_DOWN = 3;

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
    ...overPeriods(
      `SELECT toDateTime(window_start) AS time, toDateTime(window_end) AS period_end, concat(if(hospital = '', 'network', hospital), ' ', product, ' ', metric) AS series, value, ci_low, ci_high
       FROM performance FINAL WHERE ${own} AND (hospital = '' OR hospital IN (\${hospital:singlequote}) AND length([\${hospital:singlequote}]) <= ${DRILL_DOWN})
         AND product IN (${list(kinds)}) AND subgroup = 'all' AND metric IN (${list(metrics)})
         AND window_end - window_start <= 31 AND $__timeFilter(window_start)`,
      ['value'],
      ['ci_low', 'ci_high'],
    ),
  });
  const binary = products.filter(isBinaryProduct);
  const continuous = products.filter((p) => !isBinaryProduct(p));
  return [
    ...(binary.length
      ? [overTime('Sensitivity, specificity and PPV over time', 'Per month against the radiologist verdicts, with 95 % Wilson intervals; "network" is every hospital together, and each chosen hospital is drawn beside it when at most 3 are chosen; the unfinished month is a hollow point', 'percentunit', binary, ['sensitivity', 'specificity', 'ppv'])]
      : []),
    ...(continuous.length
      ? [overTime('Agreement with the radiologist over time', 'Mean absolute and mean signed difference per month, in years, with 95 % intervals; "network" is every hospital together, and each chosen hospital is drawn beside it when at most 3 are chosen; the unfinished month is a hollow point', 'suffix: years', continuous, ['mean_absolute_difference', 'mean_difference'])]
      : []),
    {
      title: 'Drift monitors',
      description: 'CUSUM statistic against its threshold, and the label-free signals; status alarm, watch, ok or insufficient-data; alarms first, then watches (at most 100 rows)',
      kind: 'table',
      sql: `SELECT hospital, product, model_version, metric, statistic, threshold, status, since, expected_delay_days, min_detectable FROM drift FINAL WHERE ${own} AND hospital IN (\${hospital:singlequote})
            ORDER BY indexOf(['alarm', 'watch', 'ok', 'insufficient-data'], status), statistic / nullIf(threshold, 0) DESC, hospital, product, metric LIMIT 100`,
      columns: ['hospital', 'product', 'model_version', 'metric', 'statistic', 'threshold', 'status', 'since', 'expected_delay_days', 'min_detectable'],
    },
    {
      title: 'Drift episodes',
      description:
        'Each alarm of a sensitivity or specificity monitor from its first signal to its close (open: still in alarm), newest first: onset is where the signalling chart last stood at zero (its estimate of when the fall began), days to its close (to now while open), shift the fall that chart is tuned to, peak its evidence in units of its threshold (at most 100 rows)',
      kind: 'table',
      sql: `SELECT hospital, product, model_version, metric, onset, first_signal, if(closed IS NULL, 'open', toString(closed)) AS closed,
                   round((ifNull(toUnixTimestamp64Milli(drift_episodes.closed), toUnixTimestamp64Milli(now64(3))) - toUnixTimestamp64Milli(drift_episodes.first_signal)) / 86400000, 1) AS days, shift, round(peak, 1) AS peak, cases, failures
            FROM drift_episodes FINAL WHERE ${own} AND hospital IN (\${hospital:singlequote}) ORDER BY first_signal DESC LIMIT 100`,
      columns: ['hospital', 'product', 'model_version', 'metric', 'onset', 'first_signal', 'closed', 'days', 'shift', 'peak', 'cases', 'failures'],
      mayBeEmpty: { rowsOf: 'drift_episodes' },
    },
    {
      title: 'Subgroups',
      description: 'Whole window, per age band, sex and scanner make, for the network (and each chosen hospital when at most 3 are chosen); cells under 10 are marked',
      kind: 'table',
      sql: `SELECT if(hospital = '', 'network', hospital) AS hospital, product, metric, subgroup, n, value, ci_low, ci_high, small_cell FROM performance FINAL
            WHERE ${own} AND (performance.hospital = '' OR performance.hospital IN (\${hospital:singlequote}) AND length([\${hospital:singlequote}]) <= ${DRILL_DOWN}) AND subgroup != 'all'
            ORDER BY performance.hospital != '', performance.hospital, product, metric, subgroup LIMIT 100`,
      columns: ['hospital', 'product', 'metric', 'subgroup', 'n', 'value', 'ci_low', 'ci_high', 'small_cell'],
    },
    {
      title: 'Each hospital against the network',
      description: 'Whole window, the network first, then the hospitals ranked: those whose interval lies wholly below the network value first, then by value (at most 100 rows)',
      kind: 'table',
      sql: `SELECT if(hospital = '', 'network', hospital) AS hospital, product, model_version, metric, n, value, ci_low, ci_high, network_value,
                   multiIf(h.hospital = '', '', ci_high < network_value, 'below', ci_low > network_value, 'above', 'within') AS against_network
            FROM (SELECT * FROM performance FINAL WHERE ${scope} AND subgroup = 'all' AND window_end - window_start > 31) AS h
            LEFT JOIN (SELECT product, model_version, metric, value AS network_value FROM performance FINAL WHERE ${own} AND hospital = '' AND subgroup = 'all' AND window_end - window_start > 31) AS w
              USING (product, model_version, metric)
            ORDER BY h.hospital != '', against_network != 'below', product, metric, value, h.hospital LIMIT 100`,
      columns: ['hospital', 'product', 'model_version', 'metric', 'n', 'value', 'ci_low', 'ci_high', 'network_value', 'against_network'],
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
    clickhouse('aifi-turnaround', 'AIFI turnaround and SLA', 'ops', turnaroundPanels(all), all),
  ];
  for (const vendor of VENDOR_IDS.filter((v) => productsOfVendor(v).some((p) => all.includes(p)))) {
    const products = productsOfVendor(vendor);
    const names = products.map((p) => PRODUCTS[p].name).join(', ');
    result.push(clickhouse(`aifi-vendor-${vendor}`, `Clinical performance and drift — ${vendor} (${names})`, `vendor:${vendor}`, vendorPanels(vendor), products, `Clinical performance and drift — ${vendor}`));
  }
  result.push({ uid: 'aifi-platform', title: 'AIFI platform health', audience: 'ops', hospitals: options.hospitals, products: [], panels: [], json: platformDashboard() });
  return result;
}
