import { expandMacros } from './macros.ts';
import { UNFINISHED_SUFFIX, type PanelSpec } from './panels.ts';

/** Where panel SQL runs: the store (only its text query is needed). */
export interface QuerySource {
  queryText(sql: string, format: string): Promise<string>;
}

/** The dashboard's time range and template variables, as a viewer chose them. */
export interface PanelQuery {
  from: Date;
  to: Date;
  hospitals: string[];
  products: string[];
}

export type Cell = string | number | null;

export interface TablePanelData {
  kind: 'table';
  columns: string[];
  rows: Cell[][];
  units: Record<string, string>;
  thresholds: PanelSpec['thresholds'] | null;
  heatmap: PanelSpec['heatmap'] | null;
  /** The column holding a trace id and the URL of a trace ({trace_id}), when tracing is configured. */
  trace: { column: string; url: string } | null;
}

export interface TimeseriesPanelData {
  kind: 'timeseries';
  unit: string | null;
  /** Value columns drawn dashed (norms, targets). */
  dashed: string[];
  /** Epoch seconds, ascending. */
  times: number[];
  /** One line per series label and value column; `field` is the column (rate, ci_low, ci_high, target, ...). */
  series: { label: string; field: string; values: (number | null)[] }[];
  rows: number;
  /** The start (epoch seconds) of the unfinished period, whose values are in the `_unfinished` fields; null when every period drawn is over. */
  unfinishedFrom: number | null;
  /** One small chart per label, the labels of dashed columns only (norms, targets) drawn in each. */
  smallMultiples: boolean;
}

export type PanelData = TablePanelData | TimeseriesPanelData;

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
const TIME = /^(Nullable\()?(Date|DateTime)/;

/** ClickHouse's text of a DateTime (server time zone UTC) as epoch seconds. */
const epochSeconds = (text: string) => Date.parse(`${text.length === 10 ? `${text}T00:00:00` : text.replace(' ', 'T')}Z`) / 1000;

/**
 * Runs one panel's SQL as the Grafana plugin would (macros and variables
 * expanded) and shapes the result for the built-in view: a table as typed
 * rows, a time series pivoted from long rows (time, series, values...) into
 * one line per series and value column.
 */
export async function panelData(source: QuerySource, spec: PanelSpec, query: PanelQuery, traceUrl: string | null): Promise<PanelData> {
  const sql = expandMacros(spec.sql, { from: query.from, to: query.to, variables: { hospital: query.hospitals, product: query.products } });
  const result = JSON.parse(await source.queryText(sql, 'JSONCompact')) as { meta: { name: string; type: string }[]; data: unknown[][] };
  const columns = result.meta.map((m) => m.name);
  const rows: Cell[][] = result.data.map((row) =>
    row.map((value, i) => (value === null ? null : NUMERIC.test(result.meta[i]!.type) ? Number(value) : String(value))),
  );
  if (spec.kind === 'table') {
    return {
      kind: 'table',
      columns,
      rows,
      units: spec.columnUnits ?? {},
      thresholds: spec.thresholds ?? null,
      heatmap: spec.heatmap ?? null,
      trace: spec.traceColumn && traceUrl ? { column: spec.traceColumn, url: traceUrl } : null,
    };
  }
  const timeAt = result.meta.findIndex((m) => TIME.test(m.type));
  if (timeAt < 0) throw new Error(`panel "${spec.title}" is a time series but returns no time column`);
  const labelAt = columns.indexOf('series');
  const fields = result.meta.map((m, i) => ({ name: m.name, i })).filter(({ i }) => NUMERIC.test(result.meta[i]!.type));
  const times = [...new Set(rows.map((r) => epochSeconds(String(r[timeAt]))))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const series = new Map<string, TimeseriesPanelData['series'][number]>();
  for (const row of rows) {
    const label = labelAt >= 0 ? String(row[labelAt]) : '';
    const t = at.get(epochSeconds(String(row[timeAt])))!;
    for (const { name, i } of fields) {
      const key = `${label}\u0000${name}`;
      let line = series.get(key);
      if (!line) series.set(key, (line = { label, field: name, values: new Array<number | null>(times.length).fill(null) }));
      line.values[t] = row[i] as number | null;
    }
  }
  // A label without a value in a column draws no line (a target has no rate, a finished range no unfinished period).
  const lines = [...series.values()].filter((l) => l.values.some((v) => v !== null));
  const unfinished = lines.filter((l) => l.field.endsWith(UNFINISHED_SUFFIX)).flatMap((l) => l.values.flatMap((v, i) => (v === null ? [] : [times[i]!])));
  const unfinishedFrom = unfinished.length ? Math.min(...unfinished) : null;
  return { kind: 'timeseries', unit: spec.unit ?? null, dashed: spec.dashedColumns ?? [], times, series: lines, rows: rows.length, unfinishedFrom, smallMultiples: spec.smallMultiples ?? false };
}
