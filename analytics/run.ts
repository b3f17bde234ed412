import type { Store } from '../store/index.ts';
import { chTime, parseChTime, readStates, settingsDigest, writeStates, type StepState } from './analytics-state.ts';
import { CELL_JOBS, recompute, type CellJob } from './cell-jobs.ts';
import { DEFAULT_CONTRACTS, type Contracts } from './contracts.ts';
import { priceCosts } from './cost-job.ts';
import { benefitHospitals, recomputeBenefit } from './benefit.ts';
import { runDriftMonitors } from './drift-job.ts';
import { DEFAULT_SETTINGS, type AnalyticsSettings } from './norms.ts';
import { AVAILABILITY_DAILY, LATEST_INGEST, MARKED_CELLS, MARKED_GROUPS, MARKED_PRODUCTS, TOUCHED_DAYS, TURNAROUND_NORMS, type Scope } from './queries.ts';
import { normParams, rebuildStudyCases, refreshStudyCases } from './study-cases.ts';

/**
 * The version of the per-study rows: they hold no setting, so only a change of
 * their shape (a migration that says so here) makes them be made anew.
 */
const STUDY_CASES_SHAPE = 'study_cases 2';

export type Job = 'adoption' | 'turnaround' | 'availability' | 'performance' | 'drift' | 'cost' | 'benefit';
const ALL_JOBS: Job[] = ['adoption', 'turnaround', 'availability', 'performance', 'drift', 'cost', 'benefit'];

/**
 * An insert stamps its rows' ingest time when it starts and is visible when it
 * ends: a run counts what was ingested up to this long before it started, so
 * that an insert still in flight is counted by the next run, never skipped.
 */
const DEFAULT_SETTLE_MS = 30_000;

export interface AnalyticsRun {
  /** `rebuild` when every step started from nothing, `incremental` when every step went on from its watermark. */
  mode: 'rebuild' | 'incremental' | 'mixed';
  /** Studies whose rows were refreshed (every study in a rebuild). */
  studies: number;
  /** Rows per result table after the run. */
  rows: Record<string, number>;
  /** Seconds per step, in order. */
  steps: { step: string; mode: 'rebuild' | 'incremental'; seconds: number }[];
  seconds: number;
}

export interface AnalyticsOptions {
  /** Recompute every result from the per-study rows. */
  rebuild?: boolean;
  /** Make the per-study rows anew from the lifecycle too (slower: every study's events are aggregated again). */
  rebuildCases?: boolean;
  settings?: Partial<AnalyticsSettings>;
  /** The contracts cost is priced under (AIFI_CONTRACTS_FILE; the pilot's assumed contracts by default). */
  contracts?: Contracts;
  jobs?: Job[];
  /** Events ingested this recently are left to the next run (default 30 s; 0 where nothing writes while the run reads). */
  settleMs?: number;
  /** Called while a rebuild goes through the hospitals. */
  progress?: (step: string, done: number, total: number) => void;
}

const EVERY_CELL: Scope = { cells: '1', groups: '1', products: '1', final: '' };
const MARKED: Scope = { cells: MARKED_CELLS, groups: MARKED_GROUPS, products: MARKED_PRODUCTS, final: 'FINAL' };

const RESULT_TABLES: Record<Job, string[]> = {
  adoption: ['adoption_weekly', 'user_usage_weekly', 'user_usage'],
  turnaround: ['turnaround_weekly', 'turnaround', 'data_quality_weekly'],
  availability: ['availability_daily'],
  performance: ['performance_cells', 'performance'],
  drift: ['drift_cells', 'drift_checkpoints', 'drift', 'drift_episodes'],
  cost: ['cost_cells', 'cost_monthly', 'cost_yearly'],
  benefit: ['benefit', 'report_agreement'],
};

/**
 * Runs the analytics. Incremental by default: the studies whose events were
 * ingested since the last run get their rows in `study_cases` refreshed, and
 * each job recomputes only the hospital x product x week cells those studies
 * sit in (and sat in), then rolls its cells up for the groups they belong to.
 * Any sequence of incremental runs gives the rows one rebuild gives. A step
 * rebuilds when it has no watermark yet, when the settings changed, or when
 * asked to; the watermarks are kept in ClickHouse (`analytics_state`).
 */
export async function runAnalytics(store: Store, options: AnalyticsOptions = {}): Promise<AnalyticsRun> {
  const started = performance.now();
  const settings: AnalyticsSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const digest = settingsDigest(settings);
  const settle = options.settleMs ?? DEFAULT_SETTLE_MS;
  const jobs = ALL_JOBS.filter((j) => (options.jobs ?? ALL_JOBS).includes(j));
  const states = await readStates(store);
  const ingested = (await store.query<{ at: string }>(LATEST_INGEST))[0]?.at ?? chTime(0);
  const latest = chTime(Math.min(parseChTime(ingested), Date.now() - settle));
  // Versions of this run's rows: tombstones one millisecond older than the rows that replace them.
  const last = Math.max(0, ...[...states.values()].map((s) => parseChTime(s.watermark)).filter((t) => t < Date.now() + 86_400_000));
  const now = Math.max(Date.now(), last + 2);
  const versions = { tombstone: chTime(now - 1), version: chTime(now) };
  const steps: AnalyticsRun['steps'] = [];
  const next = new Map<string, StepState>();
  const fresh = (step: string) => options.rebuild || options.rebuildCases || states.get(step)?.settings !== digest;
  const timed = async <T>(step: string, mode: 'rebuild' | 'incremental', work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const value = await work();
    steps.push({ step, mode, seconds: (performance.now() - t0) / 1000 });
    return value;
  };

  // 1. The per-study rows.
  const rebuildCases = options.rebuildCases || states.get('cases')?.settings !== STUDY_CASES_SHAPE;
  let studies: number;
  if (rebuildCases) {
    studies = await timed('cases', 'rebuild', () => rebuildStudyCases(store, versions.version, (d, t) => options.progress?.('cases', d, t)));
  } else {
    const since = states.get('cases')!.watermark;
    studies = await timed('cases', 'incremental', () => refreshStudyCases(store, { since, until: latest }, versions));
  }
  next.set('cases', { watermark: latest, settings: STUDY_CASES_SHAPE });

  // 2. Each job over the cells that changed since its own watermark.
  for (const job of jobs) {
    const rebuild = rebuildCases || fresh(job);
    const mode = rebuild ? 'rebuild' : 'incremental';
    const since = rebuild ? chTime(0) : states.get(job)!.watermark;
    const scope = rebuild ? { ...EVERY_CELL, final: rebuildCases ? '' : 'FINAL' } : MARKED;
    const params = { since, ...versions, small_cell: settings.smallCell, implausible_min: settings.implausibleMinutes, ...normParams(settings) };
    await timed(job, mode, async () => {
      if (rebuild) for (const table of RESULT_TABLES[job]) await store.exec(`TRUNCATE TABLE ${table}`);
      if (job === 'availability') {
        const availability = {
          ...versions,
          since: rebuild ? chTime(0) : since,
          until: latest,
          expected_per_day: 86_400_000 / settings.heartbeatIntervalMs,
          target: settings.availabilityTarget,
        };
        await store.exec(AVAILABILITY_DAILY.replace('{days}', rebuild ? '1' : TOUCHED_DAYS), availability);
        return;
      }
      if (job === 'benefit') {
        // Reports arrive by ingest time (their own watermark); changed studies by the cells marked since the job's.
        const reportsSince = rebuild ? chTime(0) : (states.get('benefit-reports')?.watermark ?? chTime(0));
        const hospitals = rebuild ? 'all' : await benefitHospitals(store, { cellsSince: since, reportsSince, until: latest });
        await recomputeBenefit(store, hospitals, { ...versions, small_cell: settings.smallCell });
        next.set('benefit-reports', { watermark: latest, settings: digest });
        return;
      }
      if (job === 'turnaround') await store.exec(TURNAROUND_NORMS, params);
      for (const step of CELL_JOBS[job as CellJob]) await recompute(store, step, scope, params, !rebuild);
      if (job === 'drift') await runDriftMonitors(store, settings, scope, params, !rebuild);
      if (job === 'cost') await priceCosts(store, options.contracts ?? DEFAULT_CONTRACTS, versions);
    });
    next.set(job, { watermark: job === 'availability' ? latest : versions.version, settings: digest });
  }
  // Jobs left out of a run that rebuilt the study rows must rebuild when they next run.
  if (rebuildCases) for (const job of ALL_JOBS.filter((j) => !jobs.includes(j))) next.set(job, { watermark: chTime(0), settings: 'stale' });
  await writeStates(store, next);

  const rows: Record<string, number> = {};
  for (const job of jobs) {
    for (const table of RESULT_TABLES[job]) rows[table] = Number((await store.query<{ n: number }>(`SELECT count() AS n FROM ${table} FINAL`))[0]!.n);
  }
  const modes = new Set(steps.map((s) => s.mode));
  return { mode: modes.size === 1 ? [...modes][0]! : 'mixed', studies, rows, steps, seconds: (performance.now() - started) / 1000 };
}
