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
  /** Time-series columns drawn as dashed lines: norms and targets. */
  dashedColumns?: string[];
  /** A column holding a trace id: linked to the trace where tracing is configured. */
  traceColumn?: string;
  width?: number;
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
  for (const [column, unit] of Object.entries(spec.columnUnits ?? {})) builder.overrideByName(column, [{ id: 'unit', value: unit }]);
  // The plugin names a long-format field after its column and series label.
  for (const column of spec.dashedColumns ?? []) builder.overrideByRegexp(`.*${column}.*`, [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }]);
  if (spec.thresholds) {
    const { column, base, steps } = spec.thresholds;
    builder.overrideByName(column, [
      { id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: base }, ...steps] } },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ]);
  }
  if (spec.traceColumn && options.traceUrl) {
    const url = options.traceUrl.replace('{trace_id}', '${__value.raw}');
    builder.overrideByName(spec.traceColumn, [{ id: 'links', value: [{ title: 'Open the trace of this study', url, targetBlank: true }] }]);
  }
  return builder;
}

/** A rate with its 95 % interval over time: the rate line and the interval bounds as series. */
export function rateWithCi(title: string, description: string, from: string, where: string, series: string): PanelSpec {
  return {
    title,
    description,
    kind: 'timeseries',
    unit: 'percentunit',
    sql: `SELECT toDateTime(week) AS time, ${series} AS series, rate, ci_low, ci_high FROM ${from} FINAL WHERE $__timeFilter(week) AND ${where} ORDER BY time, series`,
    columns: ['time', 'series', 'rate', 'ci_low', 'ci_high'],
  };
}

export type { Dataquery };
