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
  unit?: string;
  /** Threshold lines (e.g. the norm) drawn on the panel. */
  thresholds?: { value: number; color: string }[];
  width?: number;
}

/** The SDK panel for a spec: a table or a time series over one ClickHouse SQL query. */
export function panel(spec: PanelSpec): Builder<Panel> {
  const query = new ClickHouseQueryBuilder(spec.sql, spec.kind === 'timeseries' ? 'timeseries' : 'table').refId('A');
  const builder = spec.kind === 'timeseries' ? new TimeseriesPanel() : new TablePanel();
  builder.title(spec.title).description(spec.description).withTarget(query).gridPos({ h: 8, w: spec.width ?? 12, x: 0, y: 0 });
  if (spec.unit) builder.unit(spec.unit);
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
