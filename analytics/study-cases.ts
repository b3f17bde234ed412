import type { AnalyticsSettings } from './norms.ts';
import type { Store } from '../store/index.ts';
import {
  DIRTY_STUDIES,
  HOSPITAL_STUDIES,
  INDEX_STUDIES,
  MARK_BENEFIT_CELLS,
  MARK_DIRTY_STUDIES,
  MARK_NEW_CELLS,
  MARK_OLD_CELLS,
  STUDY_CASES,
  STUDY_TOMBSTONES,
} from './queries.ts';

/** The norm of each product and urgency as the two arrays the SQL binds. */
export function normParams(settings: Pick<AnalyticsSettings, 'norms'>): { norm_keys: string[]; norm_values: number[] } {
  const norms = Object.entries(settings.norms).flatMap(([product, n]) => [
    [`${product}|acute`, n.acute],
    [`${product}|routine`, n.routine],
  ]) as [string, number][];
  return { norm_keys: norms.map((n) => n[0]), norm_values: norms.map((n) => n[1]) };
}

const withStudies = (sql: string, studies: string, target = 'study_cases') => sql.replaceAll('{studies}', studies).replaceAll('{target}', target);

/**
 * Rebuilds `study_cases` from the lifecycle, one hospital at a time (memory
 * holds one hospital's studies), and indexes every row by its study.
 */
export async function rebuildStudyCases(store: Store, version: string, progress?: (done: number, total: number) => void): Promise<number> {
  for (const table of ['study_cases', 'study_index', 'dirty_studies', 'dirty_cells', 'benefit_dirty_cells']) await store.exec(`TRUNCATE TABLE ${table}`);
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
  await store.exec(withStudies(STUDY_CASES, DIRTY_STUDIES, 'study_cases_refresh'), { version: versions.version });
  await store.exec('INSERT INTO study_cases SELECT * FROM study_cases_refresh');
  await store.exec(withStudies(MARK_OLD_CELLS, DIRTY_STUDIES), { marked: versions.version });
  await store.exec(withStudies(STUDY_TOMBSTONES, DIRTY_STUDIES), { version: versions.tombstone });
  await store.exec(MARK_NEW_CELLS, { marked: versions.version });
  await store.exec(withStudies(MARK_BENEFIT_CELLS, DIRTY_STUDIES), { marked: versions.version });
  await store.exec(INDEX_STUDIES.replace('{source}', 'study_cases_refresh'));
  return Number(n);
}
