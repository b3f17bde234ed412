import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleEvent, makeEvent } from '../events/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { migratedStore, outageSwitch, sampleStudyEvents } from '../testing/index.ts';
import { Collector } from './index.ts';
import { classify, closeClients, deadLetterMessages, nextOffset, storeValid } from './kafka-consumer.ts';

const quiet = { warn: () => {}, error: () => {} };
const message = (offset: string, value: string, key = 'k'): KafkaMessage => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  offset,
  timestamp: '0',
  attributes: 0,
  headers: {},
});
const noHeartbeat = async () => {};

let store: EmbeddedStore;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ store, close } = await migratedStore('kafka-steps'));
});
afterAll(() => close());

const stored = async (ids: string[]) =>
  (await store.query<{ event_id: string }>('SELECT event_id FROM events WHERE event_id IN {ids:Array(UUID)} ', { ids })).map((r) => r.event_id).sort();

describe("the steps of a Kafka batch", () => {
  it('classify: the valid events with their message, a dead letter naming the field or the JSON error for the others', () => {
    const collector = new Collector(store, quiet);
    const [a, b] = sampleStudyEvents(1);
    const batch = [
      message('10', JSON.stringify(a)),
      message('11', '{not json'),
      message('12', JSON.stringify({ ...exampleEvent('inference.completed'), score: 3 })),
      message('13', JSON.stringify(b)),
      message('14', ''),
    ];
    const { valid, dead } = classify(batch, collector);
    expect(valid.map((v) => [v.message.offset, v.event])).toEqual([['10', a], ['13', b]]);
    expect(dead.map((d) => [d.message.offset, d.path])).toEqual([['11', '(root)'], ['14', '(root)'], ['12', 'score']]);
    expect(dead[0]!.reason).toMatch(/^not JSON: /);
    expect(dead[2]!.reason).toMatch(/score: Too big/);
  });

  it('store: the valid events in ClickHouse, and a dead letter for each the collector refuses for its sender or time', async () => {
    const collector = new Collector(store, quiet, { flushIntervalMs: 10 });
    const events = sampleStudyEvents(2).slice(0, 3);
    const unknown = makeEvent('gateway.heartbeat', { hospital: 'nowhere', source: 'gateway', component: 'pacs-gateway', status: 'up' });
    const valid = [...events, unknown].map((event, i) => ({ message: message(String(20 + i), JSON.stringify(event)), event }));
    const refused = await storeValid(valid, collector, { hospitals: new Set(['catharina', 'gelre']) }, noHeartbeat);
    expect(refused.map((d) => [d.message.offset, d.path, d.reason])).toEqual([['23', 'hospital', 'hospital nowhere is not in the hospitals file']]);
    expect(await stored([...events, unknown].map((e) => e.event_id))).toEqual(events.map((e) => e.event_id).sort());
    await collector.shutdown();
  });

  it('store: waits for room while the write queue is full instead of failing', async () => {
    const collector = new Collector(store, quiet, { maxQueueRows: 10, maxBatchRows: 10, flushIntervalMs: 600_000 });
    const filler = collector.admit(sampleStudyEvents(3).slice(0, 8), 'in-process');
    const events = sampleStudyEvents(4).slice(0, 5);
    let settled = false;
    const storing = storeValid(events.map((event, i) => ({ message: message(String(i), ''), event })), collector, {}, noHeartbeat).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    await collector.writer.flush();
    await filler.stored;
    await collector.writer.flush();
    expect(await storing).toEqual([]);
    expect(await stored(events.map((e) => e.event_id))).toHaveLength(5);
    await collector.shutdown();
  });

  it('store: rejects when storage gives the batch up, so that nothing is committed', async () => {
    const outage = outageSwitch(store);
    const collector = new Collector(outage.store, quiet, { flushIntervalMs: 10, maxAttempts: 2, baseDelayMs: 1 });
    outage.down = true;
    const events = sampleStudyEvents(5).slice(0, 2);
    await expect(storeValid(events.map((event, i) => ({ message: message(String(i), ''), event })), collector, {}, noHeartbeat)).rejects.toThrow(/not reachable/);
    outage.down = false;
    await collector.shutdown();
    expect(await stored(events.map((e) => e.event_id))).toEqual([]);
  });

  it('dead-letter: the original key and value, the reason and the origin in headers, in offset order', () => {
    const dead = [
      { message: message('9007199254740995', 'b', 'kb'), reason: 'r'.repeat(1500), path: 'score' },
      { message: message('9007199254740993', 'a', 'ka'), reason: 'not JSON: x', path: '(root)' },
    ];
    const out = deadLetterMessages(dead, 'aifi.events', 2);
    expect(out.map((m) => [String(m.key), String(m.value)])).toEqual([['ka', 'a'], ['kb', 'b']]);
    expect(out[0]!.headers).toEqual({ 'x-aifi-reason': 'not JSON: x', 'x-aifi-path': '(root)', 'x-aifi-source-topic': 'aifi.events', 'x-aifi-source-partition': '2', 'x-aifi-source-offset': '9007199254740993' });
    expect((out[1]!.headers!['x-aifi-reason'] as string).length).toBe(1000);
  });

  it('commit: the offset after the last message of the batch, exact beyond 2^53', () => {
    expect(nextOffset([message('3', ''), message('40', '')])).toBe('41');
    expect(nextOffset([message('9007199254740993', '')])).toBe('9007199254740994');
  });

  it('close: goes on past a client that never finishes closing, names it, and still closes the others in order', async () => {
    const warnings: string[] = [];
    const closed: string[] = [];
    const log = { warn: (_: unknown, message: string) => void warnings.push(message) };
    await closeClients(
      [
        { name: 'consumer', disconnect: () => new Promise<void>(() => {}) },
        { name: 'producer', disconnect: async () => void closed.push('producer') },
        { name: 'admin', disconnect: async () => { closed.push('admin'); throw new Error('socket hang up'); } },
      ],
      50,
      log,
    );
    expect(closed).toEqual(['producer', 'admin']);
    expect(warnings).toEqual(['kafka consumer did not close within 50 ms; going on without it (uncommitted messages are delivered again)', 'kafka admin failed to close']);
  });
});
