import type { Params, Store } from '../store/index.ts';
import { COST_CELLS } from './cost-job.ts';
import {
  ADOPTION_WEEKLY,
  DATA_QUALITY_WEEKLY,
  DRIFT_CELLS,
  fill,
  PERFORMANCE_BINARY,
  PERFORMANCE_CELLS,
  PERFORMANCE_CONTINUOUS,
  TURNAROUND,
  TURNAROUND_WEEKLY,
  USER_USAGE,
  USER_USAGE_WEEKLY,
  type Scope,
} from './queries.ts';

/** One result table of a job: the SQL that fills it, its key, and whether it is made of cells or rolled up from them. */
export interface ResultStep {
  table: string;
  key: string[];
  level: keyof Omit<Scope, 'final'>;
  sql: string[];
}

export type CellJob = 'adoption' | 'turnaround' | 'performance' | 'drift' | 'cost';

/** The result tables of each job, in the order they are filled (cells before their roll-ups). */
export const CELL_JOBS: Record<CellJob, ResultStep[]> = {
  adoption: [
    { table: 'adoption_weekly', key: ['hospital', 'product', 'week'], level: 'cells', sql: [ADOPTION_WEEKLY] },
    { table: 'user_usage_weekly', key: ['hospital', 'product', 'week', 'user_key'], level: 'cells', sql: [USER_USAGE_WEEKLY] },
    { table: 'user_usage', key: ['hospital', 'product', 'user_key'], level: 'groups', sql: [USER_USAGE] },
  ],
  turnaround: [
    { table: 'turnaround_weekly', key: ['hospital', 'product', 'week', 'urgency', 'send_mode'], level: 'cells', sql: [TURNAROUND_WEEKLY] },
    { table: 'turnaround', key: ['hospital', 'product', 'urgency', 'send_mode'], level: 'groups', sql: [TURNAROUND] },
    { table: 'data_quality_weekly', key: ['hospital', 'product', 'week', 'manufacturer', 'device_model'], level: 'cells', sql: [DATA_QUALITY_WEEKLY] },
  ],
  performance: [
    { table: 'performance_cells', key: ['hospital', 'product', 'week', 'model_version', 'month', 'subgroup'], level: 'cells', sql: [PERFORMANCE_CELLS] },
    { table: 'performance', key: ['hospital', 'product', 'model_version', 'metric', 'subgroup', 'window_start'], level: 'products', sql: [PERFORMANCE_BINARY, PERFORMANCE_CONTINUOUS] },
  ],
  drift: [{ table: 'drift_cells', key: ['hospital', 'product', 'week', 'model_version', 'day'], level: 'cells', sql: [DRIFT_CELLS] }],
  cost: [{ table: 'cost_cells', key: ['hospital', 'product', 'week', 'month'], level: 'cells', sql: [COST_CELLS] }],
};

/** Tombstones for every row a recomputed scope had: the new rows, one millisecond newer, replace them where they exist again. */
export function tombstones(table: string, key: string[], where: string): string {
  return `INSERT INTO ${table} (${key.join(', ')}, computed_at, is_deleted)
SELECT ${key.join(', ')}, {tombstone:DateTime64(3, 'UTC')}, 1 FROM ${table} FINAL WHERE ${where}`;
}

/**
 * Recomputes one result table over a scope. In a rebuild the table was emptied
 * and every cell is computed once; incrementally, the cells of the scope get
 * their new rows and then tombstones for all the rows they had, so that a row
 * the scope no longer has disappears and the others are replaced.
 */
export async function recompute(store: Store, step: ResultStep, scope: Scope, params: Params, incremental: boolean): Promise<void> {
  for (const sql of step.sql) await store.exec(fill(sql, scope), params);
  if (incremental) await store.exec(tombstones(step.table, step.key, scope[step.level]), params);
}
