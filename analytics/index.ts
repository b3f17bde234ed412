export { runAnalytics, type AnalyticsRun, type Job } from './run.ts';
export { readReport, parseAudience, type Audience, type Report } from './report.ts';
export { DEFAULT_SETTINGS, DEFAULT_NORMS_MIN, WITHIN_NORM_TARGET, type AnalyticsSettings } from './norms.ts';
export { computeDrift, driftOfCases, binomialAtLeast, type DriftRow, type DriftCase } from './drift.ts';
export { calibrate, runCusum, cusumWeights, approximateRunLengths } from './cusum.ts';
export { wilson, wilsonSql } from './wilson.ts';
export * as queries from './queries.ts';
export { publishTurnaround } from './metrics.ts';
