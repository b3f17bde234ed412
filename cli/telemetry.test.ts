import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { AifiEvent } from '../events/index.ts';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, readInstanceHeader, syntheticStudy } from '../orchestrator/index.ts';
import { waitFor } from '../testing/index.ts';
import { startTelemetry } from './telemetry.ts';

const stop = startTelemetry('aifi-test');
afterAll(() => stop());

describe('tracing', () => {
  it('gives every event of a study the trace id of its span', async () => {
    const events: AifiEvent[] = [];
    const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h) => [h.id, { pseudonym_key: 'a'.repeat(64), token: `t-${h.id}-0123456789abcdefghij` }]));
    const orchestrator = await createOrchestrator({
      hospitals: PILOT_HOSPITALS,
      secrets,
      sink: callbackSink('memory', async (e) => void events.push(...e)),
      log: Fastify({ logger: false }).log,
      quietMs: 10,
      maxStowBytes: 1 << 20,
      dicom: null,
    });
    for (const spec of [{ bodyPart: 'KNEE' }, { bodyPart: 'HIP' }]) {
      const header = readInstanceHeader(syntheticStudy({ modality: 'DX', patientAge: '040Y', ...spec }).files[0]!);
      orchestrator.intake.receive(PILOT_HOSPITALS.hospitals[0]!, 'automatic', header, 'stow');
    }
    await waitFor('both studies', () => events.filter((e) => e.type === 'study.received').length === 2);
    await orchestrator.close();
    const byStudy = new Map<string, Set<string | undefined>>();
    for (const e of events) {
      const key = 'study_key' in e ? e.study_key : '';
      byStudy.set(key, (byStudy.get(key) ?? new Set()).add(e.trace_id));
    }
    const traces = [...byStudy.values()].map((ids) => [...ids]);
    expect(traces).toHaveLength(2);
    for (const ids of traces) {
      expect(ids).toHaveLength(1);
      expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(traces[0]![0]).not.toBe(traces[1]![0]);
  });
});
