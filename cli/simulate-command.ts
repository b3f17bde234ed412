import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { windowCovering, type Collector } from '../collector/index.ts';
import type { Config } from '../config/index.ts';
import type { AifiEvent } from '../events/index.ts';
import { Backfill, builtInScenarios, bulkLoad, loadScenario, type Scenario, type Truth } from '../simulator/index.ts';
import { migrate, openStore } from '../store/index.ts';
import type { Io } from './io.ts';
import { UsageError } from './cli-error.ts';
import { startStack } from './stack.ts';

export const simulateHelp = `aifi simulate [--scenario NAME|FILE] [--weeks N] [--seed S] [--truth-out FILE] [--bulk [--workers N]] [--volume-factor X]
                              backfill a simulated scenario into the store (fast path: the event factory and
                              the collector, no DICOM); --bulk loads straight into the events table from
                              worker threads, for a national year; scenarios: ${builtInScenarios().join(', ')}`;

/** A progress bar on a terminal; plain lines elsewhere (CI, pipes). */
export function progressBar(label: string, total: number, unit: string): { update: (value: number, extra?: string) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {extra}`, hideCursor: true, stream: process.stderr }, undefined);
    bar.start(total, 0, { extra: '' });
    return { update: (v, extra = '') => bar.update(v, { extra }), stop: () => bar.stop() };
  }
  let last = -1;
  return {
    update: (v, extra = '') => {
      const pct = Math.floor((v / total) * 10);
      if (pct !== last) {
        last = pct;
        process.stderr.write(`${label}: ${v}/${total} ${unit} ${extra}\n`);
      }
    },
    stop: () => {},
  };
}

/**
 * Writes the backfill's events through the collector, a few batches in flight
 * at a time. Their times are those of the simulated period, which may lie
 * beyond the collector's window of plausible times: the window is widened to
 * the period for these events only.
 */
export async function backfillInto(collector: Collector, scenario: Scenario, seed: string, weeks: number): Promise<{ studies: number; events: number; truth: Truth }> {
  const backfill = new Backfill({ scenario, seed, weeks });
  const scope = { window: collector.window && windowCovering(collector.window, backfill.startsAt, backfill.endsAt) };
  const bar = progressBar(`backfill ${scenario.name}`, weeks, 'weeks');
  const inFlight: Promise<void>[] = [];
  let studies = 0;
  let events = 0;
  const chunk = 10_000;
  try {
    for (const week of backfill.weeks()) {
      for (let i = 0; i < week.events.length; i += chunk) {
        const slice: AifiEvent[] = week.events.slice(i, i + chunk);
        while (!collector.writer.hasRoomFor(slice.length) || inFlight.length >= 4) await inFlight.shift();
        const intake = collector.accept(slice, 'in-process', scope);
        if (intake.rejected.length) throw new Error(`the simulator made invalid events: ${JSON.stringify(intake.rejected.slice(0, 3))}`);
        inFlight.push(intake.stored);
      }
      studies += week.studies;
      events += week.events.length;
      bar.update(week.week + 1, `${studies} studies, ${events} events`);
    }
    await Promise.all(inFlight);
    await collector.writer.flush();
  } finally {
    bar.stop();
  }
  return { studies, events, truth: backfill.truth.result() };
}

export async function simulateCommand(config: Config, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string', default: 'stable' },
      weeks: { type: 'string', default: '12' },
      seed: { type: 'string', default: '1' },
      'truth-out': { type: 'string' },
      bulk: { type: 'boolean', default: false },
      workers: { type: 'string' },
      'volume-factor': { type: 'string' },
    },
  });
  const weeks = Number(values.weeks);
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 520) throw new UsageError('--weeks takes a whole number from 1 to 520');
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) throw new UsageError('--workers takes a whole number from 1 to 64');
  if (workers !== undefined && !values.bulk) throw new UsageError('--workers goes with --bulk');
  const volume = values['volume-factor'] === undefined ? undefined : Number(values['volume-factor']);
  if (volume !== undefined && !(volume >= 0.01 && volume <= 1000)) throw new UsageError('--volume-factor takes a number from 0.01 to 1000');
  const scenario = { ...loadScenario(values.scenario), ...(volume === undefined ? {} : { volume_factor: volume }) };
  if (values.bulk) return bulkCommand(config, scenario, values.seed, weeks, workers, values['truth-out'], io);
  const stack = await startStack(config, { role: 'collector', port: 0 });
  try {
    const started = performance.now();
    const result = await backfillInto(stack.collector!, scenario, values.seed, weeks);
    if (values['truth-out']) writeFileSync(values['truth-out'], JSON.stringify(result.truth, null, 2) + '\n');
    io.out(
      `${scenario.name}: ${weeks} weeks from ${scenario.start}, seed ${values.seed}: ${result.studies} studies, ${result.events} events ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)} s into ${stack.store!.location}` +
        (values['truth-out'] ? `; truth in ${values['truth-out']}` : ''),
    );
  } finally {
    await stack.close();
  }
  return 0;
}

/** `aifi simulate --bulk`: the scenario straight into the events table, with a progress bar. */
async function bulkCommand(config: Config, scenario: Scenario, seed: string, weeks: number, workers: number | undefined, truthOut: string | undefined, io: Io): Promise<number> {
  const store = await openStore(config.store);
  try {
    await migrate(store);
    const bar = progressBar(`bulk ${scenario.name}`, 100, '%');
    let result;
    try {
      result = await bulkLoad({
        store,
        scenario,
        seed,
        weeks,
        workers,
        onProgress: (p) => bar.update(Math.floor((100 * p.done) / p.total), `${p.studies} studies, ${p.stored} events stored, ${Math.round(p.stored / p.seconds)} events/s`),
      });
    } finally {
      bar.stop();
    }
    if (truthOut) writeFileSync(truthOut, JSON.stringify(result.truth, null, 2) + '\n');
    io.out(
      `${scenario.name}: ${weeks} weeks from ${scenario.start}, seed ${seed}: ${result.studies} studies, ${result.events} events ` +
        `in ${result.seconds.toFixed(1)} s (${Math.round(result.events / result.seconds)} events/s, ${result.workers} workers) into ${store.location}` +
        (truthOut ? `; truth in ${truthOut}` : ''),
    );
  } finally {
    await store.close();
  }
  return 0;
}
