import { makeTrustedEvent, type AifiEvent } from '../events/index.ts';
import { Backfill, bulkLoad, studiesOfWeek, Timeline, type Scenario, type Truth } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { emptyStore } from './store.ts';

/**
 * An empty `store` loaded with `weeks` weeks of a scenario, by the bulk load: the same events and
 * rows as the collector stores for the seed (simulator/bulk-load.test.ts), at about half the CPU of
 * validated events inserted as JSON. One worker: test files run side by side on the cores.
 */
export async function loadSimulation(store: EmbeddedStore, scenario: Scenario, seed: string, weeks: number): Promise<Truth> {
  await emptyStore(store);
  return (await bulkLoad({ store, scenario, seed, weeks, workers: 1 })).truth;
}

/**
 * The study events of `weeks` weeks of a scenario, as the backfill makes them (made without the
 * schema check, as the bulk load makes them), one week's studies held at a time; without the gateway
 * heartbeats, which are most of a week's events and nothing the study analytics count. For counting
 * on simulated draws what a chDB load of the same seed would count, at a fraction of its CPU.
 */
export function* studyEventsOf(scenario: Scenario, seed: string, weeks: number): Generator<AifiEvent> {
  const backfill = new Backfill({ scenario, seed, weeks, makeEvent: makeTrustedEvent });
  const timeline = new Timeline(scenario);
  for (let week = 0; week < weeks; week++) {
    for (const plan of studiesOfWeek(scenario, timeline, seed, week)) {
      for (const e of backfill.studyEvents(plan)) if (Date.parse(e.occurred_at) < backfill.endsAt) yield e;
    }
  }
}
