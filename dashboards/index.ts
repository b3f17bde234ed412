export { dashboards, HOSPITALS, type DashboardDefinition } from './definitions.ts';
export { writeDashboards } from './provisioning.ts';
export { expandMacros } from './macros.ts';
export { ClickHouseQueryBuilder, CLICKHOUSE_DATASOURCE, PROMETHEUS_DATASOURCE, type ClickHouseQuery } from './clickhouse-query.ts';
export type { PanelSpec } from './panels.ts';
