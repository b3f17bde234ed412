/**
 * The drift monitors against simulator truth, over seeds (no ClickHouse: the
 * monitors run on the verdicted cases of the simulated events, as the analytics
 * do). On the `drift` scenario (Gelre x RBfracture sensitivity 0.92 -> 0.72 on
 * 2 March): the first signal after the onset, beside the limit (a CUSUM that
 * knows the true rate and fall, at the same in-control run length), with every
 * verdict known at once and as verdicts come in; the episodes the persistent
 * fall makes. On the `stable` scenario: the sensitivity and specificity
 * monitors that ever signal. For the drifted monitor: its stated in-control run
 * length at the estimated rate of the reference in use against a check at that
 * rate: the renewal estimate with importance sampling from another seed and with
 * `--cycles` cycles (20 times the stated figure's), and with `--runs` above 0
 * brute-force runs to the first signal as well (each some millions of cases).
 */
import { parseArgs } from 'node:util';
import { activeReference, DEFAULT_SETTINGS, monitorCases, simulatedRunLength as renewalRunLength, statedFigures } from '../analytics/index.ts';
import { Backfill, loadScenario } from '../simulator/index.ts';
import { firstSignals, verdictedCases } from '../testing/index.ts';
import { endProgress, machine, median, progress } from './bench-kit.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5' }, from: { type: 'string', default: '1' }, weeks: { type: 'string', default: '26' }, runs: { type: 'string', default: '0' }, cycles: { type: 'string', default: '200000' } } });
const seeds = Number(values.seeds);
/** The first seed: `--from 6 --seeds 5` runs seeds 6 to 10. */
const first = Number(values.from);
const weeks = Number(values.weeks);
/** Brute-force runs to the first signal (each some millions of cases: slow), and renewal cycles of the variance-reduced check. */
const runs = Number(values.runs);
const cycles = Number(values.cycles);
const say = progress('drift');
const DAY = 86_400_000;
const onset = Date.parse('2026-03-02T00:00:00Z');
const settings = DEFAULT_SETTINGS;

/** Cases until the first signal of a monitor's charts when failures occur at rate p: the mean over `runs` runs (xorshift draws). */
function simulatedRunLength(reference: { charts: { wFailure: number; wSuccess: number; h: number }[] }, p: number, runs: number, seed: number): number {
  const charts = reference.charts;
  let x = seed >>> 0 || 1;
  let total = 0;
  const s = new Float64Array(charts.length);
  for (let r = 0; r < runs; r++) {
    s.fill(0);
    let t = 0;
    for (;;) {
      t++;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const failure = (x >>> 0) / 4294967296 < p;
      let signal = false;
      for (let k = 0; k < charts.length; k++) {
        const c = charts[k]!;
        const v = s[k]! + (failure ? c.wFailure : c.wSuccess);
        s[k] = v > 0 ? v : 0;
        if (v >= c.h) signal = true;
      }
      if (signal) break;
    }
    total += t;
  }
  return total / runs;
}

const perSeed: Record<string, unknown>[] = [];
for (let seed = first; seed < first + seeds; seed++) {
  say(`seed ${seed - first + 1}/${seeds}: drift, backfilling ${weeks} weeks`);
  const drift = new Backfill({ scenario: loadScenario('drift'), seed: `drift-${seed}`, weeks });
  const events = [];
  for (const week of drift.weeks()) events.push(...week.events);
  const all = verdictedCases(events);
  const gelre = all.filter((c) => c.hospital === 'gelre' && c.product === 'rbfracture');
  say(`seed ${seed - first + 1}/${seeds}: drift, monitors`);
  const whole = monitorCases(all, settings);
  const elsewhere = whole.episodes.filter((e) => !(e.hospital === 'gelre' && e.product === 'rbfracture' && e.metric === 'sensitivity'));
  const truth = { metric: 'sensitivity' as const, onset, p0: 0.08, p1: 0.28 };
  const atOnce = firstSignals(gelre, settings, truth, false);
  say(`seed ${seed - first + 1}/${seeds}: drift, live (verdicts as they arrive)`);
  const live = firstSignals(gelre, settings, truth, true);
  const row = whole.rows.find((r) => r.hospital === 'gelre' && r.product === 'rbfracture' && r.metric === 'sensitivity')!;
  const at = [...new Set(whole.rows.map((r) => `${r.hospital}|${r.product}|${r.model_version}`))].indexOf(`gelre|rbfracture|${row.model_version}`);
  const reference = whole.references[at]!;
  const state = whole.states[at]!;
  say(`seed ${seed - first + 1}/${seeds}: checking the in-control run length at the estimated rate (${cycles} renewal cycles${runs ? `, ${runs} brute-force runs` : ''})`);
  const arl = (['sensitivity', 'specificity'] as const).map((metric) => {
    const ref = activeReference(reference, state, metric)!;
    const { arl0 } = statedFigures(ref);
    // The check: the renewal estimate with importance sampling, from another seed and with 20 times the cycles (its own standard error about 0.8 %).
    const sim = ref.charts.map((c) => ({ failure: c.wFailure, success: c.wSuccess, h: c.h }));
    const checked = renewalRunLength(sim, ref.p0, ref.charts.map((c) => c.p1), seed * 7919 + metric.length, cycles);
    const brute = runs ? simulatedRunLength(ref, ref.p0, runs, seed * 7919 + metric.length) : null;
    return {
      metric,
      reference_weeks: ref.weeks,
      reference_n: ref.n,
      guarantee: ref.guarantee,
      year_false_alarm: Number(ref.yearFalseAlarm.toFixed(4)),
      stated_days: arl0 / ref.perDay,
      checked_days: checked / ref.perDay,
      ratio: arl0 / checked,
      ...(brute === null ? {} : { brute_force_days: brute / ref.perDay, brute_force_ratio: arl0 / brute }),
    };
  });
  say(`seed ${seed - first + 1}/${seeds}: stable, backfilling ${weeks} weeks`);
  const stable = new Backfill({ scenario: loadScenario('stable'), seed: `stable-${seed}`, weeks });
  const stableEvents = [];
  for (const week of stable.weeks()) stableEvents.push(...week.events);
  const stableRun = monitorCases(verdictedCases(stableEvents), settings);
  const days = (t: number | null) => (t === null ? null : Number(((t - onset) / DAY).toFixed(2)));
  // The delays in verdict-positive cases after the onset (what the charts see): free of the weekday and hour the cases come in.
  const fracturesAfter = gelre.filter((c) => c.truth === 1 && c.at >= onset);
  const cases = (t: number | null) => (t === null ? null : fracturesAfter.filter((c) => c.at <= t).length);
  perSeed.push({
    seed,
    delay_days: days(atOnce.monitor),
    limit_days: days(atOnce.limit),
    delay_cases: cases(atOnce.monitor),
    limit_cases: cases(atOnce.limit),
    live_delay_days: days(live.monitor),
    live_limit_days: days(live.limit),
    episodes_after_onset: atOnce.episodesAfter,
    episode: atOnce.episodes.map((e) => ({ onset: e.onset, first_signal: e.first_signal, closed: e.closed, shift: e.shift, peak: Number(e.peak.toFixed(1)), cases: e.cases })),
    false_alarms_before_onset: atOnce.signalsBefore,
    false_alarms_other_monitors: elsewhere.length,
    stated: { baseline: Number(row.baseline.toFixed(4)), baseline_ci: [Number(row.baseline_low.toFixed(4)), Number(row.baseline_high.toFixed(4))], arl_days: Math.round(row.arl_days), delay_days: [row.delay_005_days, row.expected_delay_days, row.delay_020_days].map((d) => Number(d.toFixed(1))) },
    arl_at_estimate: arl.map((a) => ({ ...a, stated_days: Math.round(a.stated_days), checked_days: Math.round(a.checked_days), ratio: Number(a.ratio.toFixed(3)) })),
    stable_monitors: stableRun.rows.filter((r) => r.metric === 'sensitivity' || r.metric === 'specificity').filter((r) => r.status !== 'insufficient-data').length,
    stable_signals: stableRun.episodes.length,
  });
  say(`seed ${seed - first + 1}/${seeds}: delay ${days(atOnce.monitor)} d, ${cases(atOnce.monitor)} cases (limit ${days(atOnce.limit)} d, ${cases(atOnce.limit)}), live ${days(live.monitor)} d (limit ${days(live.limit)} d)`);
}
endProgress();
const num = (k: string) => perSeed.map((s) => s[k] as number | null).filter((v): v is number => v !== null);
const delay = median(num('delay_days'));
const limit = median(num('limit_days'));
const liveDelay = median(num('live_delay_days'));
const liveLimit = median(num('live_limit_days'));
console.log(
  JSON.stringify(
    {
      bench: 'drift',
      machine: await machine(),
      seeds: `${first} to ${first + seeds - 1}`,
      weeks,
      cycles,
      runs,
      settings: { targetFalseAlarmYears: settings.targetFalseAlarmYears, least_guarantee: settings.guarantee, shifts: settings.shifts, baselineWeeks: settings.baselineWeeks },
      median_delay_days: delay,
      median_limit_days: limit,
      delay_over_limit: Number((delay / limit).toFixed(2)),
      median_delay_cases: median(num('delay_cases')),
      median_limit_cases: median(num('limit_cases')),
      delay_over_limit_in_cases: Number((median(num('delay_cases')) / median(num('limit_cases'))).toFixed(2)),
      median_live_delay_days: liveDelay,
      median_live_limit_days: liveLimit,
      live_delay_over_limit: Number((liveDelay / liveLimit).toFixed(2)),
      seeds_with_one_episode: perSeed.filter((s) => s.episodes_after_onset === 1).length,
      stable_seeds_without_alarm: perSeed.filter((s) => s.stable_signals === 0).length,
      worst_arl_ratio: Math.max(...perSeed.flatMap((s) => (s.arl_at_estimate as { ratio: number }[]).map((a) => Math.abs(Math.log(a.ratio))))),
      per_seed: perSeed,
    },
    null,
    2,
  ),
);
