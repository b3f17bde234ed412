import { describe, expect, it } from 'vitest';
import { firstSignals, type TimedCase } from '../testing/index.ts';
import { Random } from '../vendors/index.ts';
import { binomialQuantiles } from './distributions.ts';
import { chartsKey, chartsOf, forgetCharts, keepCharts, knownFigures, mondayOf, monitorYears, statedFigures } from './drift.ts';
import { cusumWeights, guaranteedThreshold, runLength, simulatedDelay, simulatedRunLength, thresholdFor, type Steps } from './cusum.ts';
import { activeReference, DEFAULT_SETTINGS, monitorCases, type DriftCase } from './index.ts';

const DAY = 86_400_000;

/** Mean cases to the first signal of any of the charts when failures occur at rate p, by simulation. */
function simulated(charts: { w: Steps; h: number }[], p: number, runs: number, seed: string): number {
  const random = new Random(seed);
  let total = 0;
  for (let r = 0; r < runs; r++) {
    const s = charts.map(() => 0);
    for (let t = 1; ; t++) {
      const failure = random.chance(p);
      let signal = false;
      charts.forEach((c, k) => {
        s[k] = Math.max(0, s[k]! + (failure ? c.w.failure : c.w.success));
        if (s[k]! >= c.h) signal = true;
      });
      if (signal) {
        total += t;
        break;
      }
    }
  }
  return total / runs;
}

describe('the Monday of a time (the week of a case)', () => {
  it("is the UTC calendar's Monday on or before the day, every 37 minutes from 1965 to 2035, and refuses a time that is none", () => {
    const calendar = (ms: number) => {
      const day = new Date(ms);
      return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - ((day.getUTCDay() + 6) % 7))).toISOString().slice(0, 10);
    };
    let checked = 0;
    for (let ms = Date.UTC(1965, 0, 1); ms < Date.UTC(2035, 0, 1); ms += 37 * 60_000, checked++) if (mondayOf(ms) !== calendar(ms)) expect.fail(`${new Date(ms).toISOString()}: ${mondayOf(ms)}, the calendar ${calendar(ms)}`);
    expect(checked).toBeGreaterThan(990_000);
    expect([mondayOf(Date.UTC(2026, 11, 6, 23, 59, 59, 999)), mondayOf(Date.UTC(2026, 11, 7)), mondayOf(Date.UTC(1970, 0, 1))]).toEqual(['2026-11-30', '2026-12-07', '1969-12-29']);
    expect(() => mondayOf(Number.NaN)).toThrow(RangeError);
  });
});

describe('the run length of a CUSUM at any failure rate (Siegmund)', () => {
  it('is within 20 % of simulation, below, at and above the rate the chart is tuned from', () => {
    for (const [p0, p1, target] of [[0.08, 0.28, 1500], [0.12, 0.22, 2000], [0.06, 0.16, 1200]] as const) {
      const w = cusumWeights(p0, p1);
      const h = thresholdFor(w, p0, target);
      for (const p of [p0 * 0.8, p0, p0 + (p1 - p0) / 2, p1]) {
        const stated = runLength(h, w, p);
        const sim = simulated([{ w, h }], p, 1500, `siegmund|${p0}|${p}`);
        expect(stated / sim, `p0 ${p0} p1 ${p1} at ${p}: stated ${stated.toFixed(0)}, simulated ${sim.toFixed(0)}`).toBeGreaterThan(0.8);
        expect(stated / sim).toBeLessThan(1.2);
      }
    }
  }, 60_000);

  it('states the in-control run length of a monitor of several charts, at its estimated rate, within 20 % of simulation', () => {
    // Short run lengths so that simulation is quick: 0.05 years each at 10 cases a day.
    const settings = { ...DEFAULT_SETTINGS, targetFalseAlarmYears: 0.05 };
    for (const [failures, n] of [[24, 300], [40, 300], [9, 150]] as const) {
      const ref = { ...chartsOf(failures, n, 10, settings) };
      const { arl0, delays } = statedFigures(ref);
      const sim = simulated(ref.charts.map((c) => ({ w: { failure: c.wFailure, success: c.wSuccess }, h: c.h })), ref.p0, 1500, `combined|${failures}|${n}`);
      expect(arl0 / sim, `${failures}/${n}: stated ${arl0.toFixed(0)}, simulated ${sim.toFixed(0)}`).toBeGreaterThan(0.8);
      expect(arl0 / sim).toBeLessThan(1.2);
      // The stated delay for a fall of 0.20: within 20 % of simulation too.
      const delay = simulated(ref.charts.map((c) => ({ w: { failure: c.wFailure, success: c.wSuccess }, h: c.h })), ref.p0 + 0.2, 1500, `delay|${failures}|${n}`);
      expect(delays[2]! / delay, `${failures}/${n}: stated delay ${delays[2]!.toFixed(1)}, simulated ${delay.toFixed(1)}`).toBeGreaterThan(0.8);
      expect(delays[2]! / delay).toBeLessThan(1.2);
    }
  }, 120_000);
});

describe('the simulations that state a reference\'s figures', () => {
  it('give two charts stepped as locals exactly what the same two give stepped as arrays, beside a chart that never moves', () => {
    // A third chart with no steps and no reachable threshold stays at zero and never signals: the arrays' path with it
    // runs the same cases to the same ends as the two charts' own path.
    const never = { failure: 0, success: 0, h: Infinity };
    const random = new Random('pair');
    for (let i = 0; i < 12; i++) {
      const p0 = 0.02 + random.next() * 0.2;
      const charts = [0.1, 0.2].map((shift) => ({ ...cusumWeights(p0, p0 + shift), h: 2 + random.next() * 4 }));
      const tilts = [p0 + 0.1, p0 + 0.2];
      const arl = simulatedRunLength(charts, p0, tilts, 100 + i, 500);
      expect(arl, `case ${i}`).toBeGreaterThan(0);
      expect(Object.is(arl, simulatedRunLength([...charts, never], p0, tilts, 100 + i, 500)), `run length, case ${i}`).toBe(true);
      const delay = simulatedDelay(charts, p0 + 0.1, 200 + i, 100);
      expect(delay, `case ${i}`).toBeGreaterThan(1);
      expect(Object.is(delay, simulatedDelay([...charts, never], p0 + 0.1, 200 + i, 100)), `delay, case ${i}`).toBe(true);
    }
  });
});

describe('the guaranteed threshold (Gandy & Kvaløy)', () => {
  it('meets the in-control run length at the true rate in at least its stated share of reference samples, where the plug-in one does not', () => {
    const random = new Random('guarantee');
    const draws = 300;
    for (const [p, n] of [[0.08, 300], [0.12, 600]] as const) {
      const target = 100_000;
      let guaranteed = 0;
      let plugIn = 0;
      for (let d = 0; d < draws; d++) {
        let x = 0;
        for (let i = 0; i < n; i++) if (random.chance(p)) x++;
        const g = guaranteedThreshold(x, n, 0.2, target, 0.9);
        const w = cusumWeights(g.p0, g.p1);
        if (runLength(g.h, w, p) >= target) guaranteed++;
        if (runLength(g.plugIn, w, p) >= target) plugIn++;
      }
      // Binomial(300, 0.9): at least 255 in 99.5 % of runs.
      expect(guaranteed, `p ${p}, n ${n}: ${guaranteed}/${draws} met the target`).toBeGreaterThanOrEqual(255);
      expect(plugIn / draws, `plug-in: ${plugIn}/${draws}`).toBeLessThan(0.7);
    }
  }, 60_000);
});

describe('the share of the false-alarm rate each chart is set to', () => {
  it('is refused, naming the setting, unless one positive share per shift sums to 1', () => {
    for (const shiftShares of [[1], [0.5, 0.6], [0, 1], [0.2, Number.NaN]]) {
      expect(() => chartsOf(45, 560, 10, { ...DEFAULT_SETTINGS, shiftShares }), JSON.stringify(shiftShares)).toThrow(/shiftShares must give one positive share per shift/);
    }
  });
});

describe('the charts kept from another process', () => {
  it('are returned for their own counts and settings only, with their stated figures; any other setting makes charts anew', () => {
    forgetCharts();
    const made = chartsOf(12, 300, 4, DEFAULT_SETTINGS);
    const figures = statedFigures(made);
    forgetCharts();
    expect(knownFigures(made)).toBeNull();
    // Kept as if read from the store: marked so that a use of them shows.
    const marked = { ...made, charts: made.charts.map((c) => ({ ...c, h: c.h + 1 })) };
    keepCharts(chartsKey(12, 300, 4, DEFAULT_SETTINGS), marked, { arl0: 1, delays: [1, 2, 3] });
    expect(chartsOf(12, 300, 4, DEFAULT_SETTINGS)).toBe(marked);
    expect(statedFigures(marked)).toEqual({ arl0: 1, delays: [1, 2, 3] });
    for (const other of [{ shiftShares: [0.5, 0.5] }, { guarantee: 0.7 }, { targetFalseAlarmYears: 10 }, { shifts: [0.1, 0.25] }]) {
      const settings = { ...DEFAULT_SETTINGS, ...other };
      expect(chartsKey(12, 300, 4, settings), JSON.stringify(other)).not.toBe(chartsKey(12, 300, 4, DEFAULT_SETTINGS));
      expect(chartsOf(12, 300, 4, settings).charts, JSON.stringify(other)).not.toEqual(marked.charts);
    }
    for (const [failures, n, perDay] of [[13, 300, 4], [12, 301, 4], [12, 300, 4.5]] as const) expect(chartsOf(failures, n, perDay, DEFAULT_SETTINGS)).not.toBe(marked);
    forgetCharts();
    expect(chartsOf(12, 300, 4, DEFAULT_SETTINGS)).toEqual(made);
    expect(statedFigures(made)).toEqual(figures);
  });
});

describe('the guarantee level (predictive calibration to the stable-year target)', () => {
  it('keeps the share of years with a false alarm, over reference samples at the true rate, within what the target stands for', () => {
    // Sensitivity at 4 and 8 weeks of Gelre's volume, specificity at 4 weeks, and a small site's 8 weeks.
    for (const [p, perDay, weeks] of [[0.08, 11, 4], [0.08, 11, 8], [0.12, 23, 4], [0.08, 1, 8]] as const) {
      const n = perDay * 7 * weeks;
      const perYear = perDay * 365;
      const share = 1 - Math.exp(-perYear / Math.max(50, perYear * monitorYears(DEFAULT_SETTINGS)));
      const draws = binomialQuantiles(Array.from({ length: 100 }, (_, b) => (b + 0.5) / 100), n, p);
      let falseAlarm = 0;
      const levels = new Set<number>();
      for (const x of draws) {
        const ref = chartsOf(x, n, perDay, DEFAULT_SETTINGS);
        levels.add(ref.guarantee);
        // Its own statement: the predictive share at the level chosen is within the target's.
        expect(ref.yearFalseAlarm).toBeLessThanOrEqual(share);
        const rate = ref.charts.reduce((sum, c) => sum + 1 / runLength(c.h, { failure: c.wFailure, success: c.wSuccess }, p), 0);
        falseAlarm += (1 - Math.exp(-perYear * rate)) / draws.length;
      }
      console.log(`p ${p}, ${perDay} a day, ${weeks} weeks: a false alarm in ${(100 * falseAlarm).toFixed(2)} % of years (target's share ${(100 * share).toFixed(2)} %), levels ${[...levels].sort().join(', ')}`);
      expect(falseAlarm, `p ${p}, n ${n}`).toBeLessThanOrEqual(share);
      // A fixed 0.9 level asks for it twice at Gelre's 8 weeks: the share it leaves unused is what the level gives back.
      if (n === 616) expect(Math.max(...levels)).toBeLessThan(0.9);
    }
  }, 120_000);
});

/** A site's verdicted cases: 10 fracture and 24 non-fracture cases a day for `weeks`, with the sensitivity of each day given. */
function site(seed: string, weeks: number, sensitivity: (day: number) => number): DriftCase[] {
  const random = new Random(seed);
  const start = Date.parse('2026-01-05T00:00:00Z');
  const cases: DriftCase[] = [];
  for (let day = 0; day < weeks * 7; day++) {
    for (let i = 0; i < 34; i++) {
      const truth = i < 10 ? 1 : 0;
      const ai = truth ? (random.chance(sensitivity(day)) ? 1 : 0) : random.chance(0.88) ? 0 : 1;
      cases.push({ hospital: 'site', product: 'rbfracture', model_version: '2.1.0', at: start + day * DAY + i * 2_000_000, ai, truth });
    }
  }
  return cases.sort((a, b) => a.at - b.at);
}

describe('alarm episodes', () => {
  const onsetDay = 56;
  const onset = Date.parse('2026-01-05T00:00:00Z') + onsetDay * DAY;

  it('make one episode of a fall that goes on, open to the end, its first signal after the onset, in every seed', () => {
    for (let s = 0; s < 10; s++) {
      const { rows, episodes } = monitorCases(site(`persistent-${s}`, 26, (d) => (d >= onsetDay ? 0.72 : 0.92)), DEFAULT_SETTINGS);
      const sens = episodes.filter((e) => e.metric === 'sensitivity');
      expect(sens, `seed ${s}`).toHaveLength(1);
      expect(sens[0]!.closed).toBeNull();
      expect(Date.parse(sens[0]!.first_signal)).toBeGreaterThan(onset);
      expect(Date.parse(sens[0]!.first_signal) - onset).toBeLessThan(21 * DAY);
      const row = rows.find((r) => r.metric === 'sensitivity')!;
      expect(row.status).toBe('alarm');
      // `since` is the first signal of the open episode, not the latest.
      expect(row.since).toBe(sens[0]!.first_signal);
      // The estimated onset lies within a week either side of the true one.
      expect(Math.abs(Date.parse(row.onset!) - onset)).toBeLessThan(7 * DAY);
    }
  }, 60_000);

  it('close the episode of a fall that stops, within four weeks of the recovery, and open no other', () => {
    const recovery = onsetDay + 28;
    for (let s = 0; s < 10; s++) {
      const { rows, episodes } = monitorCases(site(`stops-${s}`, 26, (d) => (d >= onsetDay && d < recovery ? 0.72 : 0.92)), DEFAULT_SETTINGS);
      const sens = episodes.filter((e) => e.metric === 'sensitivity');
      expect(sens, `seed ${s}`).toHaveLength(1);
      const closed = Date.parse(sens[0]!.closed!);
      const recoveredAt = Date.parse('2026-01-05T00:00:00Z') + recovery * DAY;
      expect(closed, `seed ${s}: closed ${sens[0]!.closed}`).toBeGreaterThan(recoveredAt);
      expect(closed - recoveredAt).toBeLessThan(28 * DAY);
      expect(rows.find((r) => r.metric === 'sensitivity')!.status).not.toBe('alarm');
    }
  }, 60_000);
});

describe('the reference (cautious learning)', () => {
  it('grows while in control, to the longest doubling the data has passed, with its thresholds bootstrapped anew', () => {
    for (let s = 0; s < 5; s++) {
      const cases = site(`grows-${s}`, 26, () => 0.92);
      const { rows, references, states } = monitorCases(cases, DEFAULT_SETTINGS);
      const row = rows.find((r) => r.metric === 'sensitivity')!;
      // 26 weeks: the data has passed 4, 8 and 16 weeks, not 32.
      expect(references[0]!.stages.sensitivity.map((r) => r.weeks)).toEqual([4, 8, 16]);
      expect(states[0]!.metrics.sensitivity.stage, `seed ${s}`).toBe(2);
      const used = activeReference(references[0]!, states[0]!, 'sensitivity')!;
      expect(row.baseline_n).toBe(16 * 7 * 10);
      expect(used.n).toBe(16 * 7 * 10);
      expect(used.failures).toBe(cases.filter((c) => c.truth === 1 && c.ai === 0 && c.at < used.from).length);
      // A longer reference knows its rate better: a lower threshold for the same guarantee.
      const first = references[0]!.stages.sensitivity[0]!;
      expect(used.charts[1]!.h).toBeLessThan(first.charts[1]!.h);
    }
  });

  it('stops growing once the metric has signalled: a fall in week 5 is watched with the first four weeks to the end', () => {
    for (let s = 0; s < 5; s++) {
      const { rows, episodes, states } = monitorCases(site(`stops-growing-${s}`, 26, (d) => (d >= 35 ? 0.72 : 0.92)), DEFAULT_SETTINGS);
      expect(episodes.filter((e) => e.metric === 'sensitivity'), `seed ${s}`).toHaveLength(1);
      expect(Date.parse(episodes.find((e) => e.metric === 'sensitivity')!.first_signal)).toBeLessThan(Date.parse('2026-03-02T00:00:00Z'));
      expect(states[0]!.metrics.sensitivity.stage).toBe(0);
      expect(rows.find((r) => r.metric === 'sensitivity')!.baseline_n).toBe(4 * 7 * 10);
      // The specificity monitor did not change, and grew.
      expect(states[0]!.metrics.specificity.stage).toBe(2);
    }
  });

  it('keeps a stable year free of sensitivity and specificity alarms at 95 % of sites or more (300 seeds)', () => {
    // 40 site-years cannot tell 5 % from 7.5 % (the target allows 2 of 40, and 2 are expected when the share is used in full); 300 can
    // tell 5 % from 8 % (its standard error at 5 % is 1.3 %). Seeds 0-299: 13 with an alarm (4.3 %); over seeds 0-999, 42 (4.2 %).
    let withAlarm = 0;
    for (let s = 0; s < 300; s++) if (monitorCases(site(`stable-year-${s}`, 52, () => 0.92), DEFAULT_SETTINGS).episodes.length > 0) withAlarm++;
    expect(withAlarm, `${withAlarm} of 300 stable sites raised an alarm`).toBeLessThanOrEqual(15);
  }, 120_000);
});

describe('the sensitivity monitor against the limit', () => {
  it('first signals a fall of 0.20 within 1.5 x the delay of a CUSUM that knows the true rate and fall (medians of 200 seeds; 1.4 x in cases), with at most two false alarms', () => {
    // The drift scenario's monitor without a ClickHouse load: Gelre's volume of verdicted X-rays
    // (11 fractures and 23 others a day), RBfracture's sensitivity 0.92 falling to 0.72 on day 56.
    // The delays in days cluster by the hours the fractures come in (the first 5.5 of each day here), so a ratio of two medians
    // of them is noisy: over 20 seeds its 90 % range is about 1.0-1.6 x, over 40 1.0-1.55 x, over 200 1.0-1.3 x (bootstrap from
    // 1,000 seeds, whose ratio is 1.24 x). The delay in verdict-positive cases after the onset, what the charts see, is steadier
    // (1,000 seeds: 1.22 x; over 200, 1.14-1.29 x). Seeds 0-199: 1.06 x in days, 1.22 x in cases.
    const start = Date.parse('2026-01-05T00:00:00Z');
    const onset = start + 56 * DAY;
    const delays: number[] = [];
    const limits: number[] = [];
    const casesToSignal: number[] = [];
    const casesToLimit: number[] = [];
    let falseAlarms = 0;
    for (let s = 0; s < 200; s++) {
      const random = new Random(`limit-${s}`);
      const cases: TimedCase[] = [];
      for (let day = 0; day < 13 * 7; day++) {
        for (let i = 0; i < 34; i++) {
          const truth = i < 11 ? 1 : 0;
          const ai = truth ? (random.chance(day >= 56 ? 0.72 : 0.92) ? 1 : 0) : random.chance(0.88) ? 0 : 1;
          const at = start + day * DAY + i * 2_000_000;
          cases.push({ hospital: 'site', product: 'rbfracture', model_version: '2.1.0', at, ai, truth, verdictAt: at });
        }
      }
      const result = firstSignals(cases, DEFAULT_SETTINGS, { metric: 'sensitivity', onset, p0: 0.08, p1: 0.28 }, false);
      falseAlarms += result.signalsBefore;
      expect(result.episodesAfter + result.signalsBefore, `seed ${s}`).toBe(1);
      delays.push((result.monitor! - onset) / DAY);
      limits.push((result.limit! - onset) / DAY);
      const after = cases.filter((c) => c.truth === 1 && c.at >= onset);
      casesToSignal.push(after.filter((c) => c.at <= result.monitor!).length);
      casesToLimit.push(after.filter((c) => c.at <= result.limit!).length);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    console.log(
      `fall of 0.20: first signal a median ${median(delays).toFixed(2)} days after the onset, the limit ${median(limits).toFixed(2)} (${(median(delays) / median(limits)).toFixed(2)} x); ` +
        `in verdict-positive cases ${median(casesToSignal)} against ${median(casesToLimit)} (${(median(casesToSignal) / median(casesToLimit)).toFixed(2)} x); ${falseAlarms} false alarms`,
    );
    expect(falseAlarms).toBeLessThanOrEqual(2);
    expect(median(delays)).toBeLessThanOrEqual(1.5 * median(limits));
    expect(median(casesToSignal)).toBeLessThanOrEqual(1.4 * median(casesToLimit));
  }, 120_000);
});
