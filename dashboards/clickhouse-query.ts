import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';

/** The grafana-clickhouse-datasource query model (SQL editor), which the SDK does not ship. */
export interface ClickHouseQuery {
  refId?: string;
  hide?: boolean;
  datasource?: { type: string; uid: string };
  editorType: 'sql';
  /** 1 = table, 0 = time series: the plugin's format field. */
  format: 0 | 1;
  queryType: 'table' | 'timeseries';
  rawSql: string;
  _implementsDataqueryVariant(): void;
}

export const CLICKHOUSE_DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'aifi-clickhouse' };
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'aifi-prometheus' };

/** A typed builder for a ClickHouse SQL query, for the SDK's panels. */
export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(rawSql: string, kind: 'table' | 'timeseries' = 'table') {
    this.internal = {
      datasource: CLICKHOUSE_DATASOURCE,
      editorType: 'sql',
      format: kind === 'table' ? 1 : 0,
      queryType: kind,
      rawSql: rawSql.trim(),
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  build(): ClickHouseQuery {
    return this.internal;
  }
}
