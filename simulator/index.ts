export { Backfill, BACKFILL_SOURCE, type BackfillOptions, type BackfillWeek } from './backfill.ts';
export { loadScenario, builtInScenarios, scenarioSchema, shiftScenario, mondayWeeksAgo, type Scenario, type Change } from './scenario.ts';
export { PILOT, PRODUCT_BASELINE, PREVALENCE, TIMING, type PilotHospital, type StudyKind } from './pilot.ts';
export { Timeline } from './timeline.ts';
export { studiesOfWeek, WEEK_MS, type StudyPlan } from './workload.ts';
export type { Truth, TruthRow } from './truth.ts';
export { LiveSimulation, type LiveOptions, type LiveStats } from './live.ts';
export { startSimulatedPacs, readResultReport, type ReceivedResult } from './simulated-pacs.ts';
