import type { Store } from '../store/index.ts';
import { computeDrift } from './drift.ts';
import { DEFAULT_SETTINGS, type AnalyticsSettings } from './norms.ts';
import { ADOPTION_WEEKLY, AVAILABILITY_DAILY, PERFORMANCE_BINARY, PERFORMANCE_CONTINUOUS, TURNAROUND, TURNAROUND_STUDIES, TURNAROUND_WEEKLY, USER_USAGE } from './queries.ts';

export interface AnalyticsRun {
  from: string;
  to: string;
  /** Rows written per result table. */
  rows: Record<string, number>;
  seconds: number;
}

const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/**
 * Runs every job over [from, to) (default: all the data) and writes the results.
 * Idempotent: each row replaces the one with the same key, so running again —
 * after late verdicts, say — gives the current figures and nothing twice.
 */
export type Job = 'adoption' | 'turnaround' | 'availability' | 'performance' | 'drift';
const ALL_JOBS: Job[] = ['adoption', 'turnaround', 'availability', 'performance', 'drift'];

export async function runAnalytics(
  store: Store,
  options: { from?: Date; to?: Date; settings?: Partial<AnalyticsSettings>; jobs?: Job[] } = {},
): Promise<AnalyticsRun> {
  const jobs = new Set(options.jobs ?? ALL_JOBS);
  const started = performance.now();
  const settings: AnalyticsSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const [bounds] = await store.query<{ first: number | null }>("SELECT toUnixTimestamp64Milli(min(occurred_at)) AS first FROM events");
  const fromMs = options.from?.getTime() ?? (bounds?.first ? Math.floor(bounds.first / 86_400_000) * 86_400_000 : Date.now());
  const toMs = options.to?.getTime() ?? Math.ceil((Date.now() + 1) / 86_400_000) * 86_400_000;
  const from = chTime(fromMs);
  const to = chTime(toMs);
  const norms = Object.entries(settings.norms).flatMap(([product, n]) => [
    [`${product}|acute`, n.acute],
    [`${product}|routine`, n.routine],
  ]) as [string, number][];
  const window = { from, to };
  const rows: Record<string, number> = {};
  const count = async (table: string) => Number((await store.query<{ n: number }>(`SELECT count() AS n FROM ${table} FINAL`))[0]!.n);
  if (jobs.has('adoption')) {
    await store.exec(ADOPTION_WEEKLY, window);
    await store.exec(USER_USAGE, window);
  }
  if (jobs.has('turnaround')) {
    const withNorms = { ...window, norm_keys: norms.map((n) => n[0]), norm_values: norms.map((n) => n[1]) };
    await store.exec(TURNAROUND, withNorms);
    await store.exec(TURNAROUND_WEEKLY, withNorms);
    await store.exec(TURNAROUND_STUDIES, withNorms);
  }
  if (jobs.has('availability')) {
    await store.exec(AVAILABILITY_DAILY, { ...window, expected_per_day: 86_400_000 / settings.heartbeatIntervalMs, target: settings.availabilityTarget });
  }
  if (jobs.has('performance')) {
    await store.exec(PERFORMANCE_BINARY, { ...window, small_cell: settings.smallCell });
    await store.exec(PERFORMANCE_CONTINUOUS, { ...window, small_cell: settings.smallCell });
  }
  if (jobs.has('drift')) {
    const drift = await computeDrift(store, from, to, settings);
    const computedAt = chTime(Date.now());
    await store.insert('drift', drift.map((d) => ({ ...d, since: d.since === null ? null : chTime(Date.parse(d.since)), computed_at: computedAt })));
  }
  for (const table of ['adoption_weekly', 'user_usage', 'turnaround', 'turnaround_weekly', 'turnaround_studies', 'availability_daily', 'performance', 'drift']) rows[table] = await count(table);
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), rows, seconds: (performance.now() - started) / 1000 };
}
