import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQueryBuilder } from './clickhouse-query.ts';

/** A panel as this project defines it: its SQL and the columns it must return (checked by the tests). */
export interface PanelSpec {
  title: string;
  description: string;
  kind: 'table' | 'timeseries';
  sql: string;
  columns: string[];
  /** Grafana's unit id of every line of a time series: percentunit, m (minutes), ... */
  unit?: string;
  /** Grafana's unit id per table column (the others are counts or labels). */
  columnUnits?: Record<string, string>;
  /** Colours a table column: `base` below the first step, each step's colour from its value up (e.g. the share within the norm). */
  thresholds?: { column: string; base: string; steps: { value: number; color: string }[] };
  /** A heat map as a table: each of these columns coloured like `thresholds` (hospital rows × product columns). */
  heatmap?: { columns: string[]; base: string; steps: { value: number; color: string }[] };
  /** Time-series columns drawn as dashed lines: norms and targets. */
  dashedColumns?: string[];
  /** A column holding a trace id: linked to the trace where tracing is configured. */
  traceColumn?: string;
  width?: number;
  /** Time-series value columns measured over a period that may not be over yet: `<column>_unfinished` holds the unfinished period's value (see `overPeriods`). */
  unfinishedColumns?: string[];
  /**
   * Small multiples: one small chart per series label (per product), each with
   * the norms and targets drawn once beside it, rather than every label on one
   * chart; Grafana repeats the panel per product.
   */
  smallMultiples?: boolean;
  /**
   * The panel may be legitimately empty: it lists the rows of this result
   * table for the dashboard's products (at most the table limit), which exist
   * only once something happened (an alarm episode). Elsewhere an empty panel
   * is a fault; the tests read this to expect exactly the table's rows instead.
   */
  mayBeEmpty?: { rowsOf: string };
}

/** Columns that end so hold the value of a period that is not over: drawn as hollow points, never joined to the line. */
export const UNFINISHED_SUFFIX = '_unfinished';

/**
 * The most lines (besides their intervals and dashed norms) a time series may
 * draw (each small multiple counts as a chart of its own, and a panel draws at
 * most `smallMultiples` of them), and the most rows and columns of a table, so that each stays legible
 * at 70 hospitals x 20 products; the tests check every panel against them.
 */
export const SERIES_LIMITS = { timeseries: 20, tableRows: 100, tableColumns: 24, smallMultiples: 24 } as const;

/**
 * A time series over periods (days, weeks, months) whose latest period may not
 * be over: a period that ends after the end of the time range is unfinished.
 * Its measured values move to `<column>_unfinished` and its interval is left
 * out, so a week with a handful of cases is never drawn as a fall nor sets the
 * scale; norms and targets (`kept`) are drawn once, as a series named after
 * the column. `inner` returns time, period_end (the first moment after the
 * period), series and the columns.
 */
export function overPeriods(inner: string, measured: string[], intervals: string[] = [], kept: string[] = []): { sql: string; columns: string[]; unfinishedColumns: string[] } {
  const finished = 'p.period_end <= $__toTime';
  const nothing = (c: string) => `CAST(NULL, 'Nullable(Float64)') AS ${c}`;
  const values = [...measured, ...intervals];
  const select = [
    'p.time AS time',
    'p.series AS series',
    ...values.map((c) => `toNullable(toFloat64(if(${finished}, p.${c}, NULL))) AS ${c}`),
    ...kept.map(nothing),
    ...measured.map((c) => `toNullable(toFloat64(if(${finished}, NULL, p.${c}))) AS ${c}${UNFINISHED_SUFFIX}`),
  ];
  // A norm or target is the same for every series: drawn once, as a series of its own name.
  const once = kept.map(
    (k) =>
      `SELECT p.time AS time, '${k}' AS series, ${[...values.map(nothing), ...kept.map((c) => (c === k ? `toNullable(toFloat64(any(p.${c}))) AS ${c}` : nothing(c))), ...measured.map((c) => nothing(`${c}${UNFINISHED_SUFFIX}`))].join(', ')} FROM p GROUP BY p.time`,
  );
  return {
    sql: `WITH p AS (${inner.trim()})\nSELECT * FROM (${[`SELECT ${select.join(', ')} FROM p`, ...once].join('\nUNION ALL\n')}) ORDER BY time, series`,
    columns: ['time', 'series', ...measured, ...intervals, ...kept, ...measured.map((c) => `${c}${UNFINISHED_SUFFIX}`)],
    unfinishedColumns: measured,
  };
}

export interface PanelOptions {
  /** The URL of a trace with `{trace_id}` where the id goes (AIFI_TRACE_URL); no trace links when null. */
  traceUrl?: string | null;
}

/** The SDK panel for a spec: a table or a time series over one ClickHouse SQL query. */
export function panel(spec: PanelSpec, options: PanelOptions = {}): Builder<Panel> {
  const query = new ClickHouseQueryBuilder(spec.sql, spec.kind === 'timeseries' ? 'timeseries' : 'table').refId('A');
  const builder = spec.kind === 'timeseries' ? new TimeseriesPanel() : new TablePanel();
  builder.title(spec.title).description(spec.description).withTarget(query).gridPos({ h: 8, w: spec.width ?? 12, x: 0, y: 0 });
  if (spec.unit) builder.unit(spec.unit);
  if (spec.smallMultiples && builder instanceof TimeseriesPanel) builder.repeat('product').repeatDirection('h').maxPerRow(4);
  for (const [column, unit] of Object.entries(spec.columnUnits ?? {})) builder.overrideByName(column, [{ id: 'unit', value: unit }]);
  // The plugin names a long-format field after its column and series label.
  for (const column of spec.dashedColumns ?? []) builder.overrideByRegexp(`.*${column}.*`, [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }]);
  // The unfinished period: a hollow point of its own, not a line down to it.
  if (spec.unfinishedColumns?.length)
    builder.overrideByRegexp(`.*${UNFINISHED_SUFFIX}.*`, [
      { id: 'custom.drawStyle', value: 'points' },
      { id: 'custom.showPoints', value: 'always' },
      { id: 'custom.pointSize', value: 9 },
      { id: 'displayName', value: '$' + '{__field.labels.series} (unfinished)' },
    ]);
  if (spec.thresholds) {
    const { column, base, steps } = spec.thresholds;
    builder.overrideByName(column, [
      { id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: base }, ...steps] } },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ]);
  }
  for (const column of spec.heatmap?.columns ?? [])
    builder.overrideByName(column, [
      { id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: spec.heatmap!.base }, ...spec.heatmap!.steps] } },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ]);
  if (spec.traceColumn && options.traceUrl) {
    const url = options.traceUrl.replace('{trace_id}', '${__value.raw}');
    builder.overrideByName(spec.traceColumn, [{ id: 'links', value: [{ title: 'Open the trace of this study', url, targetBlank: true }] }]);
  }
  return builder;
}

/**
 * A weekly rate x / n with its 95 % Wilson interval, pooled over the chosen
 * hospitals per `series` (one line each); the unfinished week apart.
 */
export function rateWithCi(title: string, description: string, from: string, where: string, series: string, x: string, n: string, ci: { low: string; high: string }): PanelSpec {
  const inner = `SELECT toDateTime(week) AS time, toDateTime(week + 7) AS period_end, ${series} AS series, sum(${x}) AS x, sum(${n}) AS n,
         if(n = 0, NULL, x / n) AS rate, ${ci.low} AS ci_low, ${ci.high} AS ci_high
       FROM ${from} FINAL WHERE $__timeFilter(week) AND ${where} GROUP BY time, period_end, series`;
  return { title, description, kind: 'timeseries', unit: 'percentunit', ...overPeriods(inner, ['rate'], ['ci_low', 'ci_high']) };
}

export type { Dataquery };
