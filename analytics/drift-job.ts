import type { Store } from '../store/index.ts';
import { chTime } from './analytics-state.ts';
import { tombstones } from './cell-jobs.ts';
import { chartsKey, episodeRows, fingerprint, freshState, keepCharts, knownFigures, mondayOf, monitorRows, referenceOf, step, type DriftRow, type Episode, type EpisodeRow, type MetricReference, type MonitorReference, type MonitorState, type RateMetric, type StatedFigures, type VerdictedWeek } from './drift.ts';
import { labelFreeMonitors, type LabelFreeDay, type LabelFreeState } from './label-free.ts';
import type { AnalyticsSettings } from './norms.ts';
import { CHANGED_FROM, DRIFT_CASES, DRIFT_CHARTS, DRIFT_CHECKPOINTS, DRIFT_DAYS, fill, LABEL_FREE_CHECKPOINTS, LABEL_FREE_NEEDED, LABEL_FREE_STARTS, VERDICTED_WEEKS, type Scope } from './queries.ts';

/**
 * Hospitals whose verdicted cases a rebuild reads in one statement: memory holds
 * their compact cases (a national year's largest hospitals, some 100,000 each),
 * and a rebuild pays the statement once per batch, not per hospital.
 */
const DRIFT_BATCH = 8;

/** The Monday of the first week any data can have: a replay from here is a replay from the start. */
const FROM_START = '1970-01-05';


type Keyed<T> = T & { hospital: string; product: string; model_version: string };

function byGroup<T extends { hospital: string; product: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const key = `${r.hospital}|${r.product}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(r);
  }
  return groups;
}

function byVersion<T extends { model_version: string }>(rows: T[]): Map<string, T[]> {
  const versions = new Map<string, T[]>();
  for (const r of rows) (versions.get(r.model_version) ?? versions.set(r.model_version, []).get(r.model_version)!).push(r);
  return versions;
}

type Checkpoint = { hospital: string; product: string; model_version: string; week: string; state: string; computed_at: string };

const monitorKey = (r: { hospital: string; product: string; model_version: string }) => `${r.hospital}|${r.product}|${r.model_version}`;
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The label-free monitors of the groups in scope. A rebuild tests every window
 * of every monitor; an incremental run resumes each monitor from its latest
 * checkpoint before its group's earliest changed week (when one exists for the
 * same reference), reading only the reference's days and those from the
 * checkpoint on. Returns the rows, the new checkpoints, and the week from
 * which each monitor's checkpoints were made anew.
 */
async function labelFreeOf(
  store: Store,
  settings: AnalyticsSettings,
  scope: Scope,
  params: { since?: string; version: string },
  incremental: boolean,
  changed: Map<string, string>,
): Promise<{ rows: DriftRow[]; checkpoints: Checkpoint[]; replayed: Map<string, string> }> {
  const daysOf = async (where: string, extra: Record<string, unknown> = {}) =>
    byMonitor(await store.query<LabelFreeDay>(fill(DRIFT_DAYS, { ...scope, groups: where }), { ...params, ...extra }));
  const saved = new Map<string, { week: string; state: LabelFreeState }>();
  let monitors: Map<string, LabelFreeDay[]>;
  if (!incremental) monitors = await daysOf(scope.groups);
  else {
    const starts = await store.query<{ hospital: string; product: string; model_version: string; first: string }>(fill(LABEL_FREE_STARTS, scope), params);
    if (starts.length === 0) return { rows: [], checkpoints: [], replayed: new Map() };
    const groups = [...new Set(starts.map((s) => `${s.hospital}|${s.product}`))];
    const from = { keys: groups, from_weeks: groups.map((g) => changed.get(g) ?? FROM_START) };
    for (const c of await store.query<Keyed<{ checkpoint_week: string; state: string }>>(fill(LABEL_FREE_CHECKPOINTS, scope), { ...params, ...from })) {
      saved.set(monitorKey(c), { week: c.checkpoint_week, state: JSON.parse(c.state) as LabelFreeState });
    }
    const needed = {
      monitors: starts.map(monitorKey),
      reference_ends: starts.map((s) => addDays(mondayOf(Date.parse(`${s.first}T00:00:00.000Z`)), settings.baselineWeeks * 7)),
      resume_weeks: starts.map((s) => saved.get(monitorKey(s))?.week ?? '1970-01-01'),
    };
    monitors = await daysOf(`${scope.groups} AND ${LABEL_FREE_NEEDED}`, needed);
  }
  const rows: DriftRow[] = [];
  const checkpoints: Checkpoint[] = [];
  const replayed = new Map<string, string>();
  const run = (key: string, days: LabelFreeDay[], resume?: { week: string; state: LabelFreeState }) => {
    const result = labelFreeMonitors(days, settings, resume?.state);
    if (!result) return false;
    const head = { hospital: days[0]!.hospital, product: days[0]!.product, model_version: days[0]!.model_version };
    rows.push(...result.rows);
    for (const c of result.checkpoints) checkpoints.push({ ...head, week: c.week, state: JSON.stringify(c.state), computed_at: params.version });
    replayed.set(key, resume ? addDays(resume.week, 7) : '1970-01-01');
    return true;
  };
  // A checkpoint of another reference: the monitor is replayed from its start, over all its days.
  const again = [...monitors].filter(([key, days]) => !run(key, days, saved.get(key))).map(([key]) => key);
  if (again.length) {
    const all = await daysOf(`${scope.groups} AND concat(hospital, '|', product, '|', model_version) IN {again:Array(String)}`, { again });
    for (const [key, days] of all) run(key, days);
  }
  return { rows, checkpoints, replayed };
}

/** One reference's kept charts (drift_charts): its slot, the key they were made for, the charts and the stated figures ('' until simulated). */
type ChartsRow = {
  hospital: string;
  product: string;
  model_version: string;
  metric: RateMetric;
  weeks: number;
  key: string;
  charts: string;
  figures: string;
};

/** JSON that keeps the infinite and undefined numbers a chart may hold (a threshold beyond reach). */
const encode = (value: unknown) => JSON.stringify(value, (_, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
const decode = <T>(text: string): T => JSON.parse(text, (_, x: unknown) => (x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x === 'NaN' ? NaN : x)) as T;
const slotKey = (r: { hospital: string; product: string; model_version: string; metric: string; weeks: number }) => `${r.hospital}|${r.product}|${r.model_version}|${r.metric}|${Number(r.weeks)}`;

/**
 * The kept charts of the groups' references, read once and kept in the process
 * (chartsOf and statedFigures return them for the same key): a new process's
 * run does not make again the charts of references whose counts it has not
 * seen change. Returns the rows read, by slot.
 */
async function readCharts(store: Store, groups: string[]): Promise<Map<string, ChartsRow>> {
  const read = new Map<string, ChartsRow>();
  if (groups.length === 0) return read;
  for (const row of await store.query<ChartsRow>(DRIFT_CHARTS, { keys: groups })) {
    keepCharts(row.key, decode<Omit<MetricReference, 'from' | 'weeks'>>(row.charts), row.figures ? decode<StatedFigures>(row.figures) : null);
    read.set(slotKey(row), row);
  }
  return read;
}

/** The charts rows of the references in use whose charts or figures differ from those read: what the run made. */
function madeCharts(references: Map<string, Map<string, MonitorReference>>, read: Map<string, ChartsRow>, settings: AnalyticsSettings, version: string) {
  const rows: (ChartsRow & { computed_at: string })[] = [];
  for (const [group, versions] of references) {
    const [hospital, product] = group.split('|') as [string, string];
    for (const [model_version, reference] of versions) {
      for (const metric of ['sensitivity', 'specificity'] as const) {
        for (const stage of reference.stages[metric]) {
          const { from: _from, weeks, ...charts } = stage;
          const key = chartsKey(charts.failures, charts.n, charts.perDay, settings);
          const figures = knownFigures(charts);
          const row = { hospital, product, model_version, metric, weeks, key, charts: encode(charts), figures: figures ? encode(figures) : '' };
          const before = read.get(slotKey(row));
          if (before?.key === key && (before.figures !== '' || !figures)) continue;
          rows.push({ ...row, computed_at: version });
        }
      }
    }
  }
  return rows;
}

function byMonitor(days: LabelFreeDay[]): Map<string, LabelFreeDay[]> {
  const monitors = new Map<string, LabelFreeDay[]>();
  for (const d of days) {
    const key = monitorKey(d);
    (monitors.get(key) ?? monitors.set(key, []).get(key)!).push(d);
  }
  return monitors;
}

export interface DriftJobResult {
  groups: number;
  /** Monitors replayed from a checkpoint, and from their start. */
  resumed: number;
  replayed: number;
  cases: number;
}

/**
 * The drift monitors of every hospital x product whose cells changed. The
 * sensitivity and specificity CUSUMs resume from the checkpoint at the end of
 * the week before the earliest changed week, when one exists for the same
 * reference, and otherwise replay from their start; the cases are read a few
 * hospitals at a time as compact arrays. The label-free monitors read the weekly
 * counts per day. The group's drift rows, and its checkpoints and episodes
 * from the replayed weeks on, replace what was there.
 */
export async function runDriftMonitors(
  store: Store,
  settings: AnalyticsSettings,
  scope: Scope,
  params: { since?: string; version: string; tombstone: string },
  incremental: boolean,
): Promise<DriftJobResult> {
  const changed = new Map<string, string>();
  if (incremental) {
    for (const r of await store.query<{ hospital: string; product: string; week: string }>(CHANGED_FROM, params)) changed.set(`${r.hospital}|${r.product}`, r.week);
  }
  const verdicted = byGroup(await store.query<Keyed<VerdictedWeek>>(fill(VERDICTED_WEEKS, scope), params));
  const labelFree = await labelFreeOf(store, settings, scope, params, incremental, changed);
  const labelFreeGroups = [...labelFree.replayed.keys()].map((k) => k.split('|').slice(0, 2).join('|'));
  const groups = [...new Set([...verdicted.keys(), ...labelFreeGroups])].sort();
  const result: DriftJobResult = { groups: groups.length, resumed: 0, replayed: 0, cases: 0 };
  const rows: DriftRow[] = [];
  const episodes: EpisodeRow[] = [];
  const checkpoints: { hospital: string; product: string; model_version: string; week: string; state: string; computed_at: string }[] = [];
  const replayedFrom: { hospital: string; product: string; week: string }[] = [];

  const charts = await readCharts(store, groups.filter((g) => verdicted.has(g)));
  const used = new Map<string, Map<string, MonitorReference>>();

  const hospitals = [...new Set(groups.map((g) => g.split('|')[0]!))];
  // A rebuild reads DRIFT_BATCH hospitals at a time; an incremental run reads the changed weeks of every hospital at once.
  const batches = incremental ? [hospitals] : Array.from({ length: Math.ceil(hospitals.length / DRIFT_BATCH) }, (_, i) => hospitals.slice(i * DRIFT_BATCH, (i + 1) * DRIFT_BATCH));
  for (const batch of batches) {
    const keys = groups.filter((g) => batch.includes(g.split('|')[0]!) && verdicted.has(g));
    if (keys.length === 0) continue;
    const references = new Map<string, Map<string, MonitorReference>>();
    for (const key of keys) {
      const versions = new Map<string, MonitorReference>();
      for (const [version, weeks] of byVersion(verdicted.get(key)!)) versions.set(version, referenceOf(weeks, settings));
      references.set(key, versions);
      used.set(key, versions);
    }
    const wanted = keys.map((k) => changed.get(k) ?? FROM_START);
    const saved = new Map<string, MonitorState>();
    if (incremental) {
      for (const c of await store.query<{ hospital: string; product: string; model_version: string; state: string }>(DRIFT_CHECKPOINTS, { hospitals: batch, keys, from_weeks: wanted })) {
        saved.set(`${c.hospital}|${c.product}|${c.model_version}`, JSON.parse(c.state) as MonitorState);
      }
    }
    // A group resumes only if every model version can: from a checkpoint of the same reference, or because it starts after the change.
    const from = keys.map((key, i) => {
      const resumable = [...references.get(key)!].every(([version, ref]) => ref.firstWeek >= wanted[i]! || saved.get(`${key}|${version}`)?.reference === fingerprint(ref));
      return resumable ? wanted[i]! : FROM_START;
    });
    const cases = await store.query<{ hospital: string; product: string; model_version: string; at: number[]; outcome: number[] }>(fill(DRIFT_CASES, scope), {
      hospitals: batch,
      keys,
      from_weeks: from,
    });
    const casesOf = new Map(cases.map((c) => [`${c.hospital}|${c.product}|${c.model_version}`, c]));
    keys.forEach((key, i) => {
      const [hospital, product] = key.split('|') as [string, string];
      replayedFrom.push({ hospital, product, week: from[i]! });
      for (const [version, reference] of references.get(key)!) {
        const resume = from[i]! !== FROM_START && reference.firstWeek < from[i]!;
        const state = resume ? saved.get(`${key}|${version}`)! : freshState(reference);
        if (resume) result.resumed++;
        else result.replayed++;
        const replay = casesOf.get(`${key}|${version}`);
        const closed: Record<RateMetric, Episode[]> = { sensitivity: [], specificity: [] };
        let week: string | null = null;
        const keep = () => week !== null && checkpoints.push({ hospital, product, model_version: version, week, state: JSON.stringify(state), computed_at: params.version });
        for (let k = 0; k < (replay?.at.length ?? 0); k++) {
          const at = Number(replay!.at[k]);
          const caseWeek = mondayOf(at);
          if (caseWeek !== week) {
            keep();
            week = caseWeek;
          }
          const truth = Number(replay!.outcome[k]) & 1;
          step(state, reference, at, Number(replay!.outcome[k]) >> 1, truth, closed[truth === 1 ? 'sensitivity' : 'specificity']);
          result.cases++;
        }
        keep();
        rows.push(...monitorRows({ hospital, product, model_version: version }, reference, state, settings));
        episodes.push(...episodeRows({ hospital, product, model_version: version }, state, closed));
      }
    });
  }
  rows.push(...labelFree.rows);

  const computedAt = params.version;
  const time = (t: string | null) => (t === null ? null : chTime(Date.parse(t)));
  await store.insert('drift', rows.map((d) => ({ ...d, since: time(d.since), onset: time(d.onset), computed_at: computedAt })));
  await store.insert('drift_checkpoints', checkpoints);
  await store.insert('drift_label_free_checkpoints', labelFree.checkpoints);
  await store.insert('drift_charts', madeCharts(used, charts, settings, params.version));
  await store.insert('drift_episodes', episodes.map((e) => ({ ...e, onset: time(e.onset), first_signal: time(e.first_signal), closed: time(e.closed), computed_at: computedAt })));
  if (incremental) {
    await store.exec(tombstones('drift', ['hospital', 'product', 'model_version', 'metric'], scope.groups), params);
    const replayed = "week >= transform(concat(hospital, '|', product), {replay_keys:Array(String)}, {replay_weeks:Array(Date)}, toDate('2149-01-01'))";
    const replay = { ...params, replay_keys: replayedFrom.map((r) => `${r.hospital}|${r.product}`), replay_weeks: replayedFrom.map((r) => r.week) };
    await store.exec(tombstones('drift_checkpoints', ['hospital', 'product', 'model_version', 'week'], `${scope.groups} AND ${replayed}`), replay);
    // The label-free checkpoints from the week each monitor was replayed from (all of them for a monitor of the group that has no days any more).
    const monitors = [...labelFree.replayed];
    const replayedMonitors = "week >= transform(concat(hospital, '|', product, '|', model_version), {replay_monitors:Array(String)}, {replay_weeks:Array(Date)}, toDate('1970-01-01'))";
    await store.exec(tombstones('drift_label_free_checkpoints', ['hospital', 'product', 'model_version', 'week'], `${scope.groups} AND ${replayedMonitors}`), {
      ...params,
      replay_monitors: monitors.map((m) => m[0]),
      replay_weeks: monitors.map((m) => m[1]),
    });
    // Episodes that first signalled in the replayed weeks are made anew (one still open at the checkpoint is written again with its key).
    await store.exec(tombstones('drift_episodes', ['hospital', 'product', 'model_version', 'metric', 'first_signal'], `${scope.groups} AND ${replayed.replace('week >=', 'toMonday(first_signal) >=')}`), replay);
  }
  return result;
}

