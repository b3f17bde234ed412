import { makeTrustedEvent, type AifiEvent } from '../events/index.ts';
import { Backfill, bulkLoad, type Scenario, type Truth } from '../simulator/index.ts';
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
 * The events of `weeks` weeks of a scenario as the bulk load's workers make them (hospital-week by
 * hospital-week, made without the schema check), one hospital-week held at a time, without the
 * gateway heartbeats (most of a week's events, and nothing the study analytics count). For counting
 * on simulated draws what a chDB load would count, at a fraction of its CPU.
 */
export function* studyEventsOf(scenario: Scenario, seed: string, weeks: number): Generator<AifiEvent> {
  const backfill = new Backfill({ scenario, seed, weeks, makeEvent: makeTrustedEvent });
  for (let week = 0; week < weeks; week++) {
    for (const hospital of backfill.hospitalIds) {
      const made: AifiEvent[] = [];
      backfill.hospitalWeek(week, hospital, (e) => {
        if (e.type !== 'gateway.heartbeat') made.push(e);
      });
      yield* made;
    }
  }
}
