import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../events/index.ts';
import type { EmbeddedStore, Row } from '../store/index.ts';
import { migratedStore, sampleStudyEvents } from '../testing/index.ts';
import { clickhouseTime, eventToRow } from './index.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;
const events = Array.from({ length: 50 }, (_, i) => sampleStudyEvents(i)).flat();
events.push(makeEvent('gateway.heartbeat', { hospital: 'gelre', source: 'gateway', component: 'pacs-gateway', status: 'up', occurred_at: '2026-03-02T00:00:00.000Z' }));
const rows = events.map(eventToRow);

beforeAll(async () => {
  ({ store, close } = await migratedStore('rows'));
});
afterAll(() => close());

async function snapshot(): Promise<Record<string, Row[]>> {
  return {
    counts: await store.query('SELECT type, count() AS n, uniqExact(event_id) AS ids FROM events FINAL GROUP BY type ORDER BY type'),
    lifecycle: await store.query('SELECT * FROM study_product_lifecycle ORDER BY hospital, study_key, product'),
    figures: await store.query(
      `SELECT hospital, product,
              countIf(routing_outcome = 'routed') AS routed,
              countIf(completed_at IS NOT NULL) AS inferred,
              sum(failures) AS failures,
              countIf(delivered_at IS NOT NULL) AS delivered,
              sum(viewers) AS viewers,
              countIf(verdict_label = 'positive') AS verdict_positive,
              avg(dateDiff('millisecond', received_at, completed_at)) AS mean_inference_ms
       FROM study_product_lifecycle GROUP BY hospital, product ORDER BY hospital, product`,
    ),
  };
}

describe('the events table and the lifecycle', () => {
  let first: Record<string, Row[]>;

  it('store a batch with every field where analytics read it', async () => {
    await store.insert('events', rows);
    first = await snapshot();
    expect(first.counts).toContainEqual({ type: 'verdict.recorded', n: 100, ids: 100 });
    expect(first.counts).toContainEqual({ type: 'gateway.heartbeat', n: 1, ids: 1 });
    const study = events[0]!;
    const [life] = await store.query<Row>(
      "SELECT * FROM study_product_lifecycle WHERE study_key = {k:String} AND product = 'rbfracture'",
      { k: 'study_key' in study ? study.study_key : '' },
    );
    expect(life).toMatchObject({
      hospital: 'catharina',
      received_at: clickhouseTime(study.occurred_at),
      modality: 'DX',
      body_part: 'WRIST',
      urgency: 'acute',
      routing_outcome: 'routed',
      routing_rule: 'skeletal-xray',
      attempts: 2,
      failures: 1,
      failure_class: 'timeout',
      model_version: '2.1.0',
      finding: 'positive',
      score: 0,
      ai_value: null,
      channel: 'dicom-sr',
      viewers: 2,
      verdict_label: 'positive',
      verdict_agreement: 1,
    });
    const [bone] = await store.query<Row>("SELECT routing_outcome, routing_rule, completed_at FROM study_product_lifecycle WHERE study_key = {k:String} AND product = 'bonexpert'", {
      k: 'study_key' in study ? study.study_key : '',
    });
    expect(bone).toEqual({ routing_outcome: 'not_eligible', routing_rule: 'paediatric-age', completed_at: null });
    const [payload] = await store.query<{ payload: string }>('SELECT payload FROM events WHERE event_id = {id:UUID}', { id: study.event_id });
    expect(JSON.parse(payload!.payload)).toEqual(study);
  });

  it('count a batch delivered twice once, everywhere', async () => {
    await store.insert('events', rows);
    expect(await snapshot()).toEqual(first);
    await store.exec('OPTIMIZE TABLE events FINAL');
    await store.exec('OPTIMIZE TABLE lifecycle FINAL');
    expect(await snapshot()).toEqual(first);
    expect(await store.query('SELECT count() AS n FROM events')).toEqual([{ n: rows.length }]);
  });

  it('count a replay in a different batch composition once', async () => {
    const shuffled = [...rows].reverse();
    await store.insert('events', shuffled.slice(0, 100));
    await store.insert('events', shuffled.slice(100));
    expect(await snapshot()).toEqual(first);
  });
});
