import type { Params, Store } from '../store/index.ts';
import { chTime, parseChTime, readStates, settingsDigest, writeStates, type StepState } from './analytics-state.ts';
import { CELL_JOBS, recompute, type CellJob } from './cell-jobs.ts';
import { DEFAULT_CONTRACTS, type Contracts } from './contracts.ts';
import { priceCosts } from './cost-job.ts';
import { rebuildBenefit, refreshBenefit } from './benefit.ts';
import { runDriftMonitors } from './drift-job.ts';
import { DEFAULT_SETTINGS, type AnalyticsSettings } from './norms.ts';
import { anyMarked, AVAILABILITY_DAILY, LATEST_INGEST, markedScope, TOUCHED_DAYS, TURNAROUND_NORMS, type MarkedCells, type Scope } from './queries.ts';
import { normParams, rebuildStudyCases, refreshStudyCases } from './study-cases.ts';

/**
 * The version of the per-study rows: they hold no setting, so only a change of
 * their shape (a migration that says so here) makes them be made anew.
 */
const STUDY_CASES_SHAPE = 'study_cases 2';

/** The analytics jobs, by name. */
export type Job = 'adoption' | 'turnaround' | 'availability' | 'performance' | 'drift' | 'cost' | 'benefit';

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
  /**
   * Rows stored per result table after the run, every version counted: rows
   * replaced by this run and their tombstones stay until ClickHouse merges
   * them away (one plain `count()` per table, which ClickHouse answers from
   * the parts' metadata; the dashboards read the tables FINAL).
   */
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

/** What a job is given for one run: where it goes on from, the cells it recomputes, and the versions of the rows it writes. */
export interface JobRun {
  store: Store;
  settings: AnalyticsSettings;
  options: AnalyticsOptions;
  /** True when the job starts from nothing (its tables were emptied); false when it goes on from its watermark. */
  rebuild: boolean;
  /** The job's watermark (the start of time in a rebuild), and the last ingest this run counts. */
  since: string;
  until: string;
  /** The cells to recompute: every cell in a rebuild, those marked since the job's watermark otherwise. */
  scope: Scope;
  /** The bound parameters of the jobs' SQL: the watermark, the row versions, the cell-size and norm settings. */
  params: Params & { since: string; version: string; tombstone: string };
  /**
   * True in an incremental run when no cell was marked in the job's marks since its watermark: its cells and
   * roll-ups have nothing to recompute (a run after five quiet minutes, or turnaround after late verdicts only).
   */
  unmarked: () => Promise<boolean>;
  /** Where another step of the job got to (by its name), and a new watermark for it once the run is kept. */
  state: (step: string) => StepState | undefined;
  keep: (step: string, state: StepState) => void;
}

/** One analytics job: its name, the result tables it owns (emptied when it rebuilds, counted in the run's figures), and its work. */
export interface AnalyticsJob {
  name: Job;
  tables: readonly string[];
  /** The job's watermark after a run: the run's row version, or the last ingest it counted (jobs that read events, not cells). */
  watermark: 'version' | 'ingest';
  /**
   * Where an incremental run finds the cells it recomputes: every cell a refreshed study sits or sat in
   * (`dirty_cells`, the default), or those where the study changed in its times or device (`timing_dirty_cells`,
   * for jobs that read no verdict: a late verdict leaves them alone).
   */
  marks?: MarkedCells;
  run: (r: JobRun) => Promise<void>;
}

/**
 * Recomputes a job's cell tables over the run's scope, cells before their roll-ups, then what the job makes
 * of its cells (`then`); nothing when no cell of the job was marked.
 */
const cells = (job: CellJob, then?: (r: JobRun) => Promise<unknown>) => async (r: JobRun) => {
  if (await r.unmarked()) return;
  for (const step of CELL_JOBS[job]) await recompute(r.store, step, r.scope, r.params, !r.rebuild);
  await then?.(r);
};

/** The jobs, in the order they run. */
export const JOBS: readonly AnalyticsJob[] = [
  { name: 'adoption', tables: ['adoption_weekly', 'user_usage_weekly', 'user_usage'], watermark: 'version', run: cells('adoption') },
  {
    name: 'turnaround',
    tables: ['turnaround_weekly', 'turnaround', 'data_quality_weekly'],
    watermark: 'version',
    marks: 'timing_dirty_cells',
    run: cells('turnaround', (r) => r.store.exec(TURNAROUND_NORMS, r.params)),
  },
  {
    name: 'availability',
    tables: ['availability_daily'],
    watermark: 'ingest',
    run: async (r) => {
      const params = { ...r.params, until: r.until, expected_per_day: 86_400_000 / r.settings.heartbeatIntervalMs, target: r.settings.availabilityTarget };
      await r.store.exec(AVAILABILITY_DAILY.replace('{days}', r.rebuild ? '1' : TOUCHED_DAYS), params);
    },
  },
  { name: 'performance', tables: ['performance_cells', 'performance'], watermark: 'version', run: cells('performance') },
  {
    name: 'drift',
    tables: ['drift_cells', 'drift_checkpoints', 'drift_label_free_checkpoints', 'drift', 'drift_episodes'],
    watermark: 'version',
    run: cells('drift', (r) => runDriftMonitors(r.store, r.settings, r.scope, r.params, !r.rebuild)),
  },
  {
    name: 'cost',
    tables: ['cost_cells', 'cost_monthly', 'cost_yearly'],
    watermark: 'version',
    marks: 'timing_dirty_cells',
    run: async (r) => {
      // Priced on every run, marked cells or not: the contracts (AIFI_CONTRACTS_FILE) may have changed.
      await cells('cost')(r);
      await priceCosts(r.store, r.options.contracts ?? DEFAULT_CONTRACTS, r.params);
    },
  },
  {
    name: 'benefit',
    tables: ['benefit_weeks', 'benefit_live', 'benefit_cells', 'benefit', 'report_agreement'],
    watermark: 'version',
    run: async (r) => {
      // Reports arrive by ingest time (their own watermark); changed studies by the cells marked since the job's.
      const params = { version: r.params.version, tombstone: r.params.tombstone, small_cell: r.settings.smallCell };
      if (r.rebuild) await rebuildBenefit(r.store, params, r.scope.final === 'FINAL' ? 'FINAL' : '');
      else await refreshBenefit(r.store, { since: r.since, reportsSince: r.state('benefit-reports')?.watermark ?? chTime(0), until: r.until }, params);
      r.keep('benefit-reports', { watermark: r.until, settings: settingsDigest(r.settings) });
    },
  },
];

/**
 * Runs the analytics. Incremental by default: the studies whose events were
 * ingested since the last run get their rows in `study_cases` refreshed, and
 * each job recomputes only the hospital x product x week cells those studies
 * sit in (and sat in), then rolls its cells up for the groups they belong to
 * (the jobs that read no verdict, only the cells whose studies changed in what
 * they read). Any sequence of incremental runs gives the rows one rebuild gives. A step
 * rebuilds when it has no watermark yet, when the settings changed, or when
 * asked to; the watermarks are kept in ClickHouse (`analytics_state`).
 */
export async function runAnalytics(store: Store, options: AnalyticsOptions = {}): Promise<AnalyticsRun> {
  const started = performance.now();
  const settings: AnalyticsSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const digest = settingsDigest(settings);
  const settle = options.settleMs ?? DEFAULT_SETTLE_MS;
  const jobs = JOBS.filter((j) => !options.jobs || options.jobs.includes(j.name));
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
    const rebuild = rebuildCases || fresh(job.name);
    const since = rebuild ? chTime(0) : states.get(job.name)!.watermark;
    const marks = job.marks ?? 'dirty_cells';
    const run: JobRun = {
      store,
      settings,
      options,
      rebuild,
      since,
      until: latest,
      scope: rebuild ? { ...EVERY_CELL, final: rebuildCases ? '' : 'FINAL' } : markedScope(marks),
      params: { since, ...versions, small_cell: settings.smallCell, implausible_min: settings.implausibleMinutes, ...normParams(settings) },
      unmarked: async () => !rebuild && (await store.query(anyMarked(marks), { since })).length === 0,
      state: (step) => states.get(step),
      keep: (step, state) => next.set(step, state),
    };
    await timed(job.name, rebuild ? 'rebuild' : 'incremental', async () => {
      if (rebuild) for (const table of job.tables) await store.exec(`TRUNCATE TABLE ${table}`);
      await job.run(run);
    });
    next.set(job.name, { watermark: job.watermark === 'ingest' ? latest : versions.version, settings: digest });
  }
  // Jobs left out of a run that rebuilt the study rows must rebuild when they next run.
  if (rebuildCases) for (const job of JOBS.filter((j) => !jobs.includes(j))) next.set(job.name, { watermark: chTime(0), settings: 'stale' });
  await writeStates(store, next);

  const tables = jobs.flatMap((j) => j.tables);
  const counted = tables.length ? await store.query<{ t: string; n: number }>(tables.map((t) => `SELECT '${t}' AS t, count() AS n FROM ${t}`).join(' UNION ALL ')) : [];
  const stored = new Map(counted.map((c) => [c.t, Number(c.n)]));
  const rows = Object.fromEntries(tables.map((t) => [t, stored.get(t) ?? 0]));
  const modes = new Set(steps.map((s) => s.mode));
  return { mode: modes.size === 1 ? [...modes][0]! : 'mixed', studies, rows, steps, seconds: (performance.now() - started) / 1000 };
}
