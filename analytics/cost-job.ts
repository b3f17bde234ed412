import type { Store } from '../store/index.ts';
import type { Contracts } from './contracts.ts';
import { computeCosts, type VolumeRow } from './cost-model.ts';

/**
 * The volumes cost is priced on, per hospital x product x week x calendar month
 * of the receipt (a week may straddle two months): studies inferred and
 * results used (viewed), from the per-study rows as adoption counts them.
 */
export const COST_CELLS = `
INSERT INTO cost_cells (hospital, product, week, month, inferred, viewed, computed_at)
SELECT hospital, product, week, toStartOfMonth(received_at) AS month,
       toUInt32(countIf(completed_at IS NOT NULL)), toUInt32(countIf(completed_at IS NOT NULL AND first_viewed_at IS NOT NULL)), {version:DateTime64(3, 'UTC')}
FROM study_cases {final}
WHERE {cells}
GROUP BY hospital, product, week, month`;

/** The volumes per hospital x product x month: bounded by the cells, never by the studies. */
export const COST_VOLUMES = `
SELECT hospital, product, toString(month) AS month, toUInt32(sum(inferred)) AS inferred, toUInt32(sum(viewed)) AS viewed
FROM cost_cells FINAL
GROUP BY hospital, product, month
ORDER BY hospital, product, month`;

const MONTHLY_KEY = ['hospital', 'product', 'month'];
const YEARLY_KEY = ['hospital', 'product', 'contract_year'];

export async function readVolumes(store: Store): Promise<VolumeRow[]> {
  return (await store.query<VolumeRow>(COST_VOLUMES)).map((r) => ({ ...r, inferred: Number(r.inferred), viewed: Number(r.viewed) }));
}

/**
 * Prices the measured volumes under the contracts and replaces the cost
 * results: a late study in January can move the whole year's tier, so every
 * month is priced again from the monthly volumes (a few rows per hospital x
 * product x month); rows that no longer exist get tombstones one millisecond
 * older than the new rows.
 */
export async function priceCosts(store: Store, contracts: Contracts, versions: { tombstone: string; version: string }): Promise<void> {
  const { monthly, yearly } = computeCosts(await readVolumes(store), contracts);
  const stamp = { computed_at: versions.version, is_deleted: 0 };
  for (const [table, rows, key] of [
    ['cost_monthly', monthly, MONTHLY_KEY],
    ['cost_yearly', yearly, YEARLY_KEY],
  ] as const) {
    if (rows.length) await store.insert(table, rows.map((r) => ({ ...r, ...stamp })));
    await store.exec(
      `INSERT INTO ${table} (${key.join(', ')}, computed_at, is_deleted)
       SELECT ${key.join(', ')}, {tombstone:DateTime64(3, 'UTC')}, 1 FROM ${table} FINAL WHERE computed_at < {version:DateTime64(3, 'UTC')}`,
      versions,
    );
  }
}
