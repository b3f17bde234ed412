export { OPS_RULES, opsRulesFile, type OpsRule, type RulesOptions } from './ops-rules.ts';
export { analyticsAlerts, publishAlerts, type Alert, type AlertInputs, type AnalyticsAlertOptions } from './analytics-alerts.ts';
export { alertmanagerConfig, type AlertmanagerReceivers, type AlertmanagerTiming } from './alertmanager-config.ts';
