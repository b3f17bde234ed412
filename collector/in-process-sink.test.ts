import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, SinkError } from '../events/index.ts';
import type { EmbeddedStore, Row } from '../store/index.ts';
import { migratedStore, outageSwitch, sampleStudyEvents } from '../testing/index.ts';
import { Collector, eventToRow, InProcessSink } from './index.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;
const quiet = { warn: () => {}, error: () => {} };

beforeAll(async () => {
  ({ store, close } = await migratedStore('in-process-sink'));
});
afterAll(() => close());

async function refusal(work: Promise<unknown>): Promise<SinkError> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

describe('the in-process sink', () => {
  it("stores the orchestrator's events as the rows eventToRow makes, the payload byte for byte", async () => {
    const events = Array.from({ length: 20 }, (_, i) => sampleStudyEvents(i)).flat();
    const collector = new Collector(store, quiet, { flushIntervalMs: 10 });
    await new InProcessSink(collector, quiet).send(events);
    await collector.shutdown();
    await store.exec('CREATE TABLE events_reference AS events');
    await store.insert('events_reference', events.map(eventToRow));
    const all = 'SELECT * EXCEPT ingested_at FROM {t:Identifier} ORDER BY event_id';
    const sent = await store.query<Row>(all, { t: 'events' });
    expect(sent).toHaveLength(events.length);
    expect(sent).toEqual(await store.query<Row>(all, { t: 'events_reference' }));
    const payloads = new Map(sent.map((r) => [r.event_id, r.payload]));
    for (const e of events) expect(payloads.get(e.event_id)).toBe(JSON.stringify(e));
  });

  it('asks for another attempt when the queue is full, taking none of the events', async () => {
    const collector = new Collector(store, quiet, { maxQueueRows: 3 });
    const events = sampleStudyEvents(100).slice(0, 5);
    const error = await refusal(new InProcessSink(collector, quiet).send(events));
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 1_000 });
    expect(error.message).toMatch(/queue for events is full \(3 rows\)/);
    expect(collector.writer.depth).toBe(0);
    await collector.shutdown();
  });

  it('refuses for good an event the collector will not keep, naming why, and stores the others', async () => {
    const logged: unknown[] = [];
    const collector = new Collector(store, quiet, { flushIntervalMs: 10 });
    const late = makeEvent('gateway.heartbeat', { hospital: 'gelre', source: 'gateway', component: 'pacs-gateway', status: 'up', occurred_at: '2019-01-01T00:00:00.000Z' });
    const [kept] = sampleStudyEvents(101);
    const error = await refusal(new InProcessSink(collector, { error: (o: unknown) => void logged.push(o) }).send([late, kept!]));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/refused 1 of the events: occurred_at 2019-01-01T00:00:00.000Z/);
    expect(logged).toEqual([{ rejected: [expect.objectContaining({ index: 0, path: 'occurred_at' })] }]);
    const ids = await store.query<{ event_id: string }>('SELECT event_id FROM events WHERE event_id IN ({ids:Array(UUID)})', { ids: [late.event_id, kept!.event_id] });
    expect(ids).toEqual([{ event_id: kept!.event_id }]);
    await collector.shutdown();
  });

  it("passes the writer's give-up on as final, so that retries do not nest", async () => {
    const outage = outageSwitch(store);
    const collector = new Collector(outage.store, quiet, { flushIntervalMs: 10, maxAttempts: 2, baseDelayMs: 1 });
    outage.down = true;
    const error = await refusal(new InProcessSink(collector, quiet).send(sampleStudyEvents(102).slice(0, 2)));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/not reachable/);
    outage.down = false;
    await collector.shutdown();
  });
});
