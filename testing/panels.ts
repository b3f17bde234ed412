import { SERIES_LIMITS, type PanelSpec } from '../dashboards/index.ts';
import type { Store } from '../store/index.ts';

/**
 * The rows a panel that may be empty (`mayBeEmpty`) must list on a dashboard
 * of these products: its result table's rows of them, at most a table's limit.
 */
export async function rowsOfPanelThatMayBeEmpty(store: Store, mayBeEmpty: NonNullable<PanelSpec['mayBeEmpty']>, products: readonly string[]): Promise<number> {
  const [row] = await store.query<{ n: number }>(`SELECT toUInt32(least(count(), {limit:UInt32})) AS n FROM ${mayBeEmpty.rowsOf} FINAL WHERE product IN {products:Array(String)}`, {
    products,
    limit: SERIES_LIMITS.tableRows,
  });
  return Number(row?.n ?? 0);
}
