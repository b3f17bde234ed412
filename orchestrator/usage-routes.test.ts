import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AifiEvent } from '../events/index.ts';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, SinkError, type Orchestrator } from './index.ts';

const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h, i) => [h.id, { pseudonym_key: String(i + 1).repeat(64), token: `token-of-${h.id}-0123456789abcdef` }]));
const headers = { authorization: 'Bearer token-of-gelre-0123456789abcdef', 'content-type': 'application/json' };
const kept: AifiEvent[] = [];
/** What the sink does with the next events: keep them, or fail as a store that is down (retryable) or refuses them. */
let mode: 'keep' | 'down' | 'refuse' = 'keep';
let app: FastifyInstance;
let orchestrator: Orchestrator;

beforeAll(async () => {
  app = Fastify({ logger: false });
  orchestrator = await createOrchestrator({
    hospitals: PILOT_HOSPITALS,
    secrets,
    sink: callbackSink('switch', async (events) => {
      if (mode === 'down') throw new SinkError('ClickHouse is not reachable', true, 3_000);
      if (mode === 'refuse') throw new SinkError('occurred_at is more than 730 days before the time it arrived', false);
      kept.push(...events);
    }),
    log: app.log,
    quietMs: 50,
    maxStowBytes: 1024 * 1024,
    dicom: null,
    emitter: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  await app.register(orchestrator.routes);
});
afterAll(async () => {
  await app.close();
  await orchestrator.close();
});

const usage = (id: string) => ({ id, study_instance_uid: '1.2.3.4', product: 'rbfracture', user_id: 'u.jansen', role: 'radiologist', at: new Date().toISOString() });
const verdict = (id: string) => ({ id, study_instance_uid: '1.2.3.4', product: 'rbfracture', reader_id: 'u.jansen', label: 'positive', agreement: true, at: new Date().toISOString() });

describe('usage and verdicts', () => {
  it('are acknowledged only once their event is kept: 503 with Retry-After while it cannot be, 422 when it is refused', async () => {
    for (const [url, body] of [['/v1/usage', usage], ['/v1/verdicts', verdict]] as const) {
      mode = 'down';
      const down = await app.inject({ method: 'POST', url, headers, payload: body(`${url}-1`) });
      expect(down.statusCode, url).toBe(503);
      expect(down.headers['retry-after']).toBe('3');
      mode = 'refuse';
      const refused = await app.inject({ method: 'POST', url, headers, payload: body(`${url}-1`) });
      expect(refused.statusCode, url).toBe(422);
      expect(refused.json().error).toMatch(/730 days/);
      expect(kept).toHaveLength(0);
      mode = 'keep';
      const ok = await app.inject({ method: 'POST', url, headers, payload: body(`${url}-1`) });
      expect(ok.statusCode, url).toBe(202);
      expect(kept.map((e) => e.event_id)).toEqual([ok.json().event_id]);
      kept.length = 0;
    }
  });
});

describe('the gateway token', () => {
  it('is checked before the body is read: 401 without a known token, whatever the body, on every route', async () => {
    for (const url of ['/v1/usage', '/v1/verdicts', '/v1/studies/1.2.3.4/send']) {
      for (const authorization of [undefined, 'Bearer not-a-token', 'Basic ' + Buffer.from('gw:token-of-nowhere').toString('base64')]) {
        const response = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, payload: '{not json' });
        expect(response.statusCode, `${url} ${authorization}`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="aifi"');
      }
    }
    const basic = 'Basic ' + Buffer.from('gw:token-of-gelre-0123456789abcdef').toString('base64');
    const known = await app.inject({ method: 'POST', url: '/v1/usage', headers: { 'content-type': 'application/json', authorization: basic }, payload: '{not json' });
    expect(known.statusCode).toBe(400);
  });
});
