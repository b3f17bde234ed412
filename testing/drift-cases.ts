import type { AifiEvent } from '../events/index.ts';
import { cusumWeights, monitorCases, monitorYears, thresholdFor, type AnalyticsSettings, type DriftCase, type EpisodeRow } from '../analytics/index.ts';

/** A verdicted binary case, with when its verdict was given: what a monitor can count from then on. */
export interface TimedCase extends DriftCase {
  verdictAt: number;
}

/**
 * The verdicted binary cases of simulated events, as the analytics count them
 * (study_cases): per study x product, the time of receipt, the first inference's
 * model version and finding, the last verdict's label; in order of receipt. For
 * testing the monitors on simulated draws without a ClickHouse load.
 */
export function verdictedCases(events: Iterable<AifiEvent>, only?: { hospital?: string; product?: string }): TimedCase[] {
  const received = new Map<string, number>();
  const inferred = new Map<string, { model_version: string; finding: string; at: number }>();
  const verdicts = new Map<string, { label: string; at: number }>();
  for (const e of events as Iterable<Record<string, unknown>>) {
    if (only?.hospital && e.hospital !== only.hospital) continue;
    const at = Date.parse(String(e.occurred_at));
    const study = `${e.hospital}|${e.study_key}`;
    if (e.type === 'study.received') received.set(study, Math.min(at, received.get(study) ?? Infinity));
    if (only?.product && e.product !== only.product) continue;
    const key = `${study}|${e.product}`;
    if (e.type === 'inference.completed' && !(inferred.get(key)?.at! <= at)) inferred.set(key, { model_version: String(e.model_version), finding: String(e.finding), at });
    if (e.type === 'verdict.recorded' && e.label !== undefined && !(verdicts.get(key)?.at! > at)) verdicts.set(key, { label: String(e.label), at });
  }
  const cases: TimedCase[] = [];
  for (const [key, v] of verdicts) {
    const i = inferred.get(key);
    const [hospital, studyKey, product] = key.split('|') as [string, string, string];
    const at = received.get(`${hospital}|${studyKey}`);
    if (!i || at === undefined || !['positive', 'negative'].includes(i.finding) || !['positive', 'negative'].includes(v.label)) continue;
    cases.push({ hospital, product, model_version: i.model_version, at, ai: i.finding === 'positive' ? 1 : 0, truth: v.label === 'positive' ? 1 : 0, verdictAt: v.at });
  }
  return cases.sort((a, b) => a.at - b.at);
}

const HOUR_MS = 3600_000;

/**
 * When a monitor first signals after `onset`, on the cases of one hospital x
 * product: the monitor itself (all its charts, the reference from its first
 * weeks), and the limit it is compared with — one Bernoulli CUSUM that knows
 * the true reference rate and is tuned to the true fall, its threshold set to
 * the same in-control run length at the site's volume (of the first reference's
 * weeks), running from the first case. `live`: as the verdicts come in (the first
 * hour by which the verdicts given so far make it signal), else as if every
 * verdict were known at once. Times in ms, null when it never signals.
 */
export function firstSignals(
  cases: TimedCase[],
  settings: AnalyticsSettings,
  drift: { metric: 'sensitivity' | 'specificity'; onset: number; p0: number; p1: number },
  live: boolean,
): { monitor: number | null; limit: number | null; episodesAfter: number; signalsBefore: number; episodes: EpisodeRow[] } {
  const { episodes, references } = monitorCases(cases, settings);
  const ofMetric = episodes.filter((e) => e.metric === drift.metric);
  const metricRef = references[0]!.stages[drift.metric][0]!;
  const truth = drift.metric === 'sensitivity' ? 1 : 0;
  const w = cusumWeights(drift.p0, drift.p1);
  const h = thresholdFor(w, drift.p0, Math.max(50, metricRef.perDay * 365 * monitorYears(settings)));
  // The limit needs no reference: it runs from the first case (at the onset it stands where an in-control chart stands).
  const monitored = cases.filter((c) => c.truth === truth);
  const limitOf = (seen: TimedCase[]) => {
    let s = 0;
    for (const c of seen) {
      s = Math.max(0, s + ((truth === 1 ? c.ai === 0 : c.ai === 1) ? w.failure : w.success));
      if (s >= h) {
        if (c.at >= drift.onset) return c.at;
        s = 0;
      }
    }
    return null;
  };
  const signalOf = (e: EpisodeRow[]) => {
    const after = e.filter((x) => Date.parse(x.first_signal) >= drift.onset || x.closed === null || Date.parse(x.closed) >= drift.onset);
    return after.length ? Math.max(drift.onset, Date.parse(after[0]!.first_signal)) : null;
  };
  const result = {
    monitor: signalOf(ofMetric),
    limit: limitOf(monitored),
    episodesAfter: ofMetric.filter((e) => Date.parse(e.first_signal) >= drift.onset).length,
    signalsBefore: ofMetric.filter((e) => Date.parse(e.first_signal) < drift.onset).length,
    episodes: ofMetric,
  };
  if (!live) return result;
  // As the verdicts come in: the first hour after which the verdicts given so far make each signal.
  const byVerdict = (t: number) => cases.filter((c) => c.verdictAt <= t);
  const scan = (signal: (t: number) => number | null, from: number) => {
    for (let t = from; t < from + 90 * 24 * HOUR_MS; t += HOUR_MS) if (signal(t) !== null) return t;
    return null;
  };
  const start = drift.onset;
  return {
    ...result,
    monitor: result.monitor === null ? null : scan((t) => signalOf(monitorCases(byVerdict(t), settings).episodes.filter((e) => e.metric === drift.metric)), start),
    limit: result.limit === null ? null : scan((t) => limitOf(monitored.filter((c) => c.verdictAt <= t)), start),
  };
}
