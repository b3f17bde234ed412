export { dashboards, type DashboardDefinition, type DashboardOptions } from './definitions.ts';
export { writeDashboards } from './provisioning.ts';
export { expandMacros } from './macros.ts';
export { ClickHouseQueryBuilder, CLICKHOUSE_DATASOURCE, PROMETHEUS_DATASOURCE, type ClickHouseQuery } from './clickhouse-query.ts';
export { SERIES_LIMITS, UNFINISHED_SUFFIX, type PanelSpec } from './panels.ts';
export { viewRoutes, parseTime, type ViewOptions } from './view.ts';
export { ViewerTokens, mayView, type Viewer } from './viewers.ts';
export { panelData, type PanelData, type PanelQuery, type QuerySource } from './panel-data.ts';
