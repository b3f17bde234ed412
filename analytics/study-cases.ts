import type { AnalyticsSettings } from './norms.ts';
import type { Store } from '../store/index.ts';
import {
  DIRTY_STUDIES,
  HOSPITAL_STUDIES,
  INDEX_STUDIES,
  LIFECYCLE_REFRESH,
  MARK_DIRTY_STUDIES,
  OLD_INDEX_ROWS,
  REFRESHED_INDEX_ROWS,
  STUDY_CASES,
} from './queries.ts';

/** The norm of each product and urgency as the two arrays the SQL binds. */
export function normParams(settings: Pick<AnalyticsSettings, 'norms'>): { norm_keys: string[]; norm_values: number[] } {
  const norms = Object.entries(settings.norms).flatMap(([product, n]) => [
    [`${product}|acute`, n.acute],
    [`${product}|routine`, n.routine],
  ]) as [string, number][];
  return { norm_keys: norms.map((n) => n[0]), norm_values: norms.map((n) => n[1]) };
}

const withStudies = (sql: string, studies: string, target = 'study_cases', lifecycle = 'lifecycle') =>
  sql.replaceAll('{studies}', studies).replaceAll('{target}', target).replaceAll('{lifecycle}', lifecycle);

/**
 * Rebuilds `study_cases` from the lifecycle, one hospital at a time (memory
 * holds one hospital's studies), and indexes every row by its study.
 */
export async function rebuildStudyCases(store: Store, version: string, progress?: (done: number, total: number) => void): Promise<number> {
  for (const table of ['study_cases', 'study_index', 'dirty_studies', 'dirty_cells', 'benefit_dirty_cells', 'timing_dirty_cells']) await store.exec(`TRUNCATE TABLE ${table}`);
  const hospitals = (await store.query<{ hospital: string }>("SELECT DISTINCT hospital FROM lifecycle WHERE product = '' ORDER BY hospital")).map((r) => r.hospital);
  for (const [i, hospital] of hospitals.entries()) {
    await store.exec(withStudies(STUDY_CASES, HOSPITAL_STUDIES), { hospital, version });
    progress?.(i + 1, hospitals.length);
  }
  await store.exec(INDEX_STUDIES.replace('{source}', 'study_cases'));
  return Number((await store.query<{ n: number }>('SELECT count() AS n FROM study_cases'))[0]!.n);
}

/**
 * Refreshes the rows of the studies whose events were ingested in (since,
 * until]: their new rows, tombstones where they were, and the cells of both
 * marked for the jobs. Returns how many studies it refreshed.
 */
export async function refreshStudyCases(
  store: Store,
  window: { since: string; until: string },
  versions: { tombstone: string; version: string },
): Promise<number> {
  await store.exec('TRUNCATE TABLE dirty_studies');
  await store.exec(MARK_DIRTY_STUDIES, window);
  const [{ n }] = (await store.query<{ n: number }>('SELECT count() AS n FROM dirty_studies')) as [{ n: number }];
  if (Number(n) === 0) return 0;
  await store.exec('TRUNCATE TABLE study_cases_refresh');
  await store.exec('TRUNCATE TABLE lifecycle_refresh');
  await store.exec(withStudies(LIFECYCLE_REFRESH, DIRTY_STUDIES));
  await store.exec(withStudies(STUDY_CASES, '1', 'study_cases_refresh', 'lifecycle_refresh'), { version: versions.version });
  await store.exec('INSERT INTO study_cases SELECT * FROM study_cases_refresh');
  // The studies' index rows are read once (the lookup of a few thousand keys in the index is the costly part), and
  // give the tombstones of their old rows, the cells of their old and new rows (dirty_cells) and the cells of the
  // rows that moved, appeared, disappeared or changed in what benefit reads (benefit_dirty_cells) and in what
  // turnaround and cost read (timing_dirty_cells).
  const old = await store.query<IndexRow>(withStudies(OLD_INDEX_ROWS, DIRTY_STUDIES));
  const refreshed = await store.query<IndexRow>(REFRESHED_INDEX_ROWS);
  await store.insert('study_cases', old.map((r) => ({ hospital: r.hospital, product: r.product, week: r.week, study_key: r.study_key, computed_at: versions.tombstone, is_deleted: 1 })));
  const cellsOf = (rows: IndexRow[]) => [...new Map(rows.map((r) => [`${r.hospital}|${r.product}|${r.week}`, { marked_at: versions.version, hospital: r.hospital, product: r.product, week: r.week }])).values()];
  await store.insert('dirty_cells', cellsOf([...old, ...refreshed]));
  await store.insert('benefit_dirty_cells', cellsOf(changedRows(old, refreshed, 'benefit')));
  await store.insert('timing_dirty_cells', cellsOf(changedRows(old, refreshed, 'timing')));
  await store.exec(INDEX_STUDIES.replace('{source}', 'study_cases_refresh'));
  return Number(n);
}

interface IndexRow {
  hospital: string;
  study_key: string;
  product: string;
  week: string;
  /** The row's fingerprints in what benefit reads (BENEFIT_HASH) and in what turnaround and cost read (TIMING_HASH). */
  benefit: string;
  timing: string;
}

/**
 * The index rows, old and refreshed, that are in only one of the two when compared by their study, product,
 * week and one fingerprint: the rows that moved, appeared, disappeared or changed in what the fingerprint covers.
 */
function changedRows(old: IndexRow[], refreshed: IndexRow[], hash: 'benefit' | 'timing'): IndexRow[] {
  const rowCount = new Map<string, { row: IndexRow; count: number }>();
  for (const r of [...old, ...refreshed]) {
    const key = JSON.stringify([r.hospital, r.study_key, r.product, r.week, r[hash]]);
    const seen = rowCount.get(key) ?? rowCount.set(key, { row: r, count: 0 }).get(key)!;
    seen.count++;
  }
  return [...rowCount.values()].filter((c) => c.count === 1).map((c) => c.row);
}
