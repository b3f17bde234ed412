import { bulkLoad, type Scenario, type Truth } from '../simulator/index.ts';
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
