import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../collector/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { emptyStore, migratedStore } from '../testing/index.ts';
import { Backfill, bulkLoad, loadScenario, type Truth } from './index.ts';

const national = loadScenario('national');

describe('the bulk load', () => {
  let store: EmbeddedStore;
  let close: () => Promise<void>;
  /** One week of seed 'rows' bulk-loaded by two workers as RowBinary: what it returned and stored (the reference of both tests below). */
  let bulk: Awaited<ReturnType<typeof bulkLoad>>;
  let viaBulk: { rows: number; digest: string };
  beforeAll(async () => {
    ({ store, close } = await migratedStore('bulk'));
    bulk = await bulkLoad({ store, scenario, seed: 'rows', weeks: 1, workers: 2 });
    viaBulk = await storedRows();
  }, 240_000);
  afterAll(() => close());

  /** Every stored column of every event but the time of ingestion, in event order, as one digest. */
  async function storedRows(): Promise<{ rows: number; digest: string }> {
    const text = await store.queryText('SELECT * EXCEPT ingested_at FROM events ORDER BY event_id', 'TabSeparated');
    return { rows: text.split('\n').length - 1, digest: createHash('sha256').update(text).digest('hex') };
  }
  const scenario = { ...national, volume_factor: 0.01 };

  it('stores exactly the rows the collector stores for the same events, as RowBinary and as TabSeparated', async () => {
    expect(bulk.format).toBe('RowBinary');
    expect(viaBulk.rows).toBe(bulk.events);
    expect(bulk.studies).toBeGreaterThan(1_000);

    // the same rows as TabSeparated, the format of a store that takes no RowBinary
    await emptyStore(store);
    expect((await bulkLoad({ store, scenario, seed: 'rows', weeks: 1, format: 'TabSeparated' })).format).toBe('TabSeparated');
    expect(await storedRows()).toEqual(viaBulk);

    await emptyStore(store);
    const collector = new Collector(store, { warn: () => {}, error: () => {} }, { maxQueueRows: 1_000_000, maxBatchRows: 50_000 });
    const backfill = new Backfill({ scenario, seed: 'rows', weeks: 1 });
    for (const week of backfill.weeks()) {
      const intake = collector.accept(week.events, 'in-process');
      expect(intake.rejected).toEqual([]);
      await intake.stored;
    }
    await collector.shutdown();
    expect(await storedRows()).toEqual(viaBulk);
    expect(bulk.truth.rates.map((r) => [r.hospital, r.product, r.week, r.eligible, r.positives, r.viewed])).toEqual(
      backfill.truth.result().rates.map((r) => [r.hospital, r.product, r.week, r.eligible, r.positives, r.viewed]),
    );
    }, 240_000);

  it('is deterministic: two independent runs, with one worker and with two, store the same and give the same truth; a repeat is deduplicated', async () => {
    // The independent run with two workers is the one loaded before the tests (the store has been emptied since).
    await emptyStore(store);
    const first = await bulkLoad({ store, scenario, seed: 'rows', weeks: 1, workers: 1 });
    expect(await storedRows()).toEqual(viaBulk);
    expect(bulk.truth).toEqual(first.truth);
    expect(first.events).toBe(bulk.events);
    await bulkLoad({ store, scenario, seed: 'rows', weeks: 1, workers: 2 });
    const [final] = await store.query<{ n: number }>('SELECT count() AS n FROM events FINAL');
    expect(final!.n).toBe(first.events);
  }, 180_000);

  describe('a small national sample, as analytics count it', () => {
    let truth: Truth;
    beforeAll(async () => {
      await emptyStore(store);
      ({ truth } = await bulkLoad({ store, scenario: { ...national, volume_factor: 0.02 }, seed: 'truth', weeks: 2 }));
    });

    it('has the eligible studies of the truth in every hospital x product x week, and the views of the first week', async () => {
      const rows = await store.query<{ hospital: string; product: string; week: string; eligible: number; viewed: number }>(
        `SELECT hospital, product, toString(toMonday(received_at)) AS week, countIf(routing_outcome = 'routed') AS eligible, countIf(first_viewed_at IS NOT NULL) AS viewed
         FROM study_product_lifecycle GROUP BY hospital, product, week HAVING eligible > 0 ORDER BY hospital, product, week`,
      );
      const key = (r: { hospital: string; product: string; week: string }) => `${r.hospital}|${r.product}|${r.week}`;
      const counted = new Map(rows.map((r) => [key(r), r]));
      expect(rows.length).toBe(truth.rates.length);
      expect(new Set(truth.rates.map((r) => r.hospital)).size).toBeGreaterThan(60);
      for (const t of truth.rates) {
        const c = counted.get(key(t));
        expect(c?.eligible, key(t)).toBe(t.eligible);
        if (t.week === national.start) expect(c?.viewed, key(t)).toBe(t.viewed);
      }
    });
  });
});
