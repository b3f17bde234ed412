import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventToRow } from '../collector/index.ts';
import { makeTrustedEvent } from '../events/index.ts';
import { Backfill, loadScenario } from './index.ts';
import { networkOf } from './network.ts';

/**
 * The simulator's hot path made cheaper must not change a single event: the
 * events (every field, in order) and the collector's rows of a few national
 * hospital-weeks, and the truth they record, digested and compared with the
 * digests the code gave before it was made faster (main at 5c31f32, where the
 * national bulk load was measured in bench/README.md). A change of what the
 * simulator makes (a new field, another draw) changes these digests on purpose:
 * then they are made anew, in a commit that says so.
 */
describe("the simulator's hot path", () => {
  const national = loadScenario('national');

  function digestOf(seed: string | number, volume: number, weeks: number[], hospitals: (ids: string[]) => string[]) {
    const scenario = { ...national, volume_factor: volume };
    const backfill = new Backfill({ scenario, seed, weeks: Math.max(...weeks) + 1, makeEvent: makeTrustedEvent });
    const events = createHash('sha256');
    const rows = createHash('sha256');
    let count = 0;
    let studies = 0;
    for (const week of weeks)
      for (const hospital of hospitals(networkOf(scenario).workload.map((h) => h.id)))
        studies += backfill.hospitalWeek(week, hospital, (event) => {
          count++;
          events.update(JSON.stringify(event));
          events.update('\n');
          rows.update(JSON.stringify(eventToRow(event)));
          rows.update('\n');
        });
    const truth = createHash('sha256').update(JSON.stringify(backfill.truth.drain())).digest('hex');
    return { count, studies, events: events.digest('hex'), rows: rows.digest('hex'), truth };
  }

  it('makes the same events, rows and truth as before for national hospital-weeks of two seeds', () => {
    // an academic and two general hospitals, the first week and a later one (late verdicts cut at the end)
    expect(digestOf('golden', 0.2, [0, 5], (ids) => [ids[0]!, ids[9]!, ids[40]!])).toEqual(GOLDEN_A);
    // every hospital of one week at a small volume
    expect(digestOf(7, 0.02, [2], (ids) => ids)).toEqual(GOLDEN_B);
  }, 120_000);
});

const GOLDEN_A = { count: 56050, studies: 4482, events: 'ee5ddede99a8d1a64995080e30d0e3f43b9a0a05e72a83f80cf1d59e0e4848c2', rows: 'a19d86d667b9dbd9b5fa6e0caea3421f9d7ff654ec47466d3394b70c12a2e7a2', truth: '7baba7f67f3848b51b42050f53a72c177be9b37a310c9e8b60aa984688fa588f' };
const GOLDEN_B = { count: 114792, studies: 4610, events: '8b569e2f61f21bdffe0f68d3e73f31abf9892d4754cd1666d54a4478b96fef91', rows: 'ea2d9757d483b897baa2fff07eaaa8dab4e7d02bf139f9b3cd3db65c24a1f76d', truth: '67ab73d41eac649caaf62b03a322d6557566b33fe7afc3c19b792d8973c67231' };
