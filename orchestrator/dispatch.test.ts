import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { AifiEvent, EventOf, ProductId } from '../events/index.ts';
import { freePort, waitFor } from '../testing/index.ts';
import { encodeTruth, startSimulatedVendor, type SimulatedVendor, type VendorBehaviourInput } from '../vendors/index.ts';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, readInstanceHeader, syntheticStudy, type HospitalsFile, type Orchestrator } from './index.ts';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function setUp(behaviours: Partial<Record<ProductId, VendorBehaviourInput>>, hospitals: HospitalsFile = PILOT_HOSPITALS, circuitThreshold = 100) {
  const events: AifiEvent[] = [];
  const vendors = new Map<ProductId, SimulatedVendor>();
  for (const [product, behaviour] of Object.entries(behaviours) as [ProductId, VendorBehaviourInput][]) {
    const vendor = await startSimulatedVendor(product, behaviour);
    vendors.set(product, vendor);
    closers.push(() => vendor.close());
  }
  const orchestrator: Orchestrator = await createOrchestrator({
    hospitals,
    secrets: new Map(hospitals.hospitals.map((h) => [h.id, { pseudonym_key: 'c'.repeat(64), token: `token-${h.id}-0123456789abcdef` }])),
    sink: callbackSink('memory', async (e) => void events.push(...e)),
    log: Fastify({ logger: false }).log,
    quietMs: 20,
    maxStowBytes: 1 << 20,
    dicom: null,
    vendors: new Map([...vendors].map(([p, v]) => [p, v.url])),
    inference: { maxAttempts: 3, timeoutMs: 300, baseDelayMs: 10 },
    delivery: { maxAttempts: 3, timeoutMs: 300, baseDelayMs: 10 },
    circuit: { threshold: circuitThreshold, openMs: 60_000 },
  });
  closers.push(() => orchestrator.close());
  const of = <T extends AifiEvent['type']>(type: T, product?: ProductId) =>
    events.filter((e) => e.type === type && (!product || ('product' in e && e.product === product))) as unknown as EventOf<T>[];
  const send = (hospitalId: string, spec: Parameters<typeof syntheticStudy>[0]) => {
    const hospital = orchestrator.intake.hospital(hospitalId)!;
    for (const file of syntheticStudy(spec).files) orchestrator.intake.receive(hospital, 'automatic', readInstanceHeader(file), 'stow');
  };
  return { events, of, send, vendors, orchestrator };
}

const wrist = { modality: 'DX' as const, bodyPart: 'WRIST', patientAge: '040Y', imageComments: encodeTruth({ finding: 'positive', boneAgeYears: null }) };
const boneAge = { modality: 'DX' as const, bodyPart: 'HAND', patientAge: '010Y', studyDescription: 'BONE AGE', imageComments: encodeTruth({ finding: 'negative', boneAgeYears: 11.2 }) };

describe('dispatch to vendors', () => {
  it('records each stage with its latency, and says when delivery is off or has nowhere to go', async () => {
    const { of, send } = await setUp({ rbfracture: { latency_median_ms: 30, latency_sigma: 0, sensitivity: 1 }, bonexpert: { latency_median_ms: 10, sd_years: 0 } });
    send('gelre', wrist);
    send('gelre', boneAge);
    await waitFor('both results', () => of('result.delivered').length === 2);
    const [requested] = of('inference.requested', 'rbfracture');
    const [completed] = of('inference.completed', 'rbfracture');
    expect(requested).toMatchObject({ attempt: 1 });
    expect(completed).toMatchObject({ finding: 'positive', attempt: 1, model_version: '1.0.0' });
    expect(completed!.inference_ms).toBeGreaterThanOrEqual(25);
    expect(completed!.total_ms).toBeGreaterThanOrEqual(completed!.inference_ms);
    expect(of('inference.completed', 'bonexpert')[0]).toMatchObject({ finding: 'none', value: 11.2, score: null });
    expect(of('result.delivered')[0]).toMatchObject({ channel: 'none', acknowledged: false, reason: 'no PACS is configured for gelre' });
  });

  for (const [fault, behaviour, errorClass] of [
    ['times out', { hang_rate: 1 }, 'timeout'],
    ['answers 500', { error_rate: 1 }, 'http_5xx'],
    ['returns garbage', { garbage_rate: 1 }, 'invalid_response'],
  ] as const) {
    it(`retries a vendor that ${fault}, then records the failure, without holding up other products`, async () => {
      const { of, send } = await setUp({ rbfracture: { latency_median_ms: 0, ...behaviour }, bonexpert: { latency_median_ms: 0 } });
      send('zgt', wrist);
      send('zgt', boneAge);
      await waitFor('the final failure', () => of('inference.failed', 'rbfracture').some((e) => e.final), 10_000);
      const failures = of('inference.failed', 'rbfracture');
      expect(failures.map((f) => [f.attempt, f.error_class, f.retryable, f.final])).toEqual([
        [1, errorClass, true, false],
        [2, errorClass, true, false],
        [3, errorClass, true, true],
      ]);
      expect(of('inference.requested', 'rbfracture')).toHaveLength(3);
      expect(of('inference.completed', 'bonexpert')).toHaveLength(1);
      expect(of('inference.completed', 'rbfracture')).toHaveLength(0);
    });
  }

  it('retries delivery to an unreachable PACS, then records why it failed', async () => {
    const closedPort = await freePort();
    const hospitals: HospitalsFile = {
      hospitals: PILOT_HOSPITALS.hospitals.map((h) => (h.id === 'radboudumc' ? { ...h, pacs: { via: 'stow', url: `http://127.0.0.1:${closedPort}/dicom-web`, headers: {} } } : h)),
    };
    const { of, send } = await setUp({ rbfracture: { latency_median_ms: 0 } }, hospitals);
    send('radboudumc', wrist);
    await waitFor('the delivery outcome', () => of('result.delivered').length === 1, 10_000);
    const [delivered] = of('result.delivered');
    expect(delivered).toMatchObject({ channel: 'dicom-sr', acknowledged: false });
    expect(delivered!.reason).toMatch(/unreachable.*after 3 attempts/);
  });

  it('opens the circuit after failures in a row and stops calling the vendor', async () => {
    const { of, send, vendors, orchestrator } = await setUp({ rbfracture: { latency_median_ms: 0, error_rate: 1 } }, PILOT_HOSPITALS, 4);
    for (let i = 0; i < 3; i++) send('catharina', wrist);
    await waitFor('three final failures', () => of('inference.failed', 'rbfracture').filter((e) => e.final).length === 3, 10_000);
    expect(of('inference.failed', 'rbfracture').some((e) => e.error_class === 'circuit_open')).toBe(true);
    // Without the breaker the vendor would get 3 studies x 3 attempts = 9 calls. It opens at the 4th failure in a row;
    // the calls of the two other studies already in flight then may still end, and nothing after.
    const calls = vendors.get('rbfracture')!.jobs;
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(calls).toBeLessThanOrEqual(6);
    expect(orchestrator.dispatcher.circuit('rbfracture')).toBe('open');
  });
});

