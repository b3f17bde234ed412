import { createHash } from 'node:crypto';
import { makeEvent } from './factory.ts';
import type { AifiEvent, EventType } from './schemas.ts';

const key = (label: string) => createHash('sha256').update(`example:${label}`).digest('hex');

const study = {
  hospital: 'catharina',
  source: 'orchestrator',
  study_key: key('study'),
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
};

const examples: { [T in EventType]: () => AifiEvent } = {
  'study.received': () =>
    makeEvent('study.received', {
      ...study,
      occurred_at: '2026-03-02T08:15:04.250Z',
      patient_key: key('patient'),
      accession_key: key('accession'),
      modality: 'DX',
      body_part: 'HAND',
      age_years: 9.5,
      sex: 'F',
      manufacturer: 'Philips',
      device_model: 'DigitalDiagnost',
      contrast: false,
      urgency: 'routine',
      send_mode: 'automatic',
      instance_count: 1,
      acquired_at: '2026-03-02T08:11:40.000Z',
    }),
  'study.routed': () =>
    makeEvent('study.routed', {
      ...study,
      occurred_at: '2026-03-02T08:15:04.262Z',
      product: 'bonexpert',
      outcome: 'routed',
      rule: 'paediatric-hand-xray',
      reason: 'DX of HAND at age 9.5 years',
      routing_ms: 12,
    }),
  'inference.requested': () =>
    makeEvent('inference.requested', {
      ...study,
      occurred_at: '2026-03-02T08:15:04.300Z',
      product: 'bonexpert',
      attempt: 1,
      queued_ms: 38,
    }),
  'inference.completed': () =>
    makeEvent('inference.completed', {
      ...study,
      occurred_at: '2026-03-02T08:15:19.800Z',
      product: 'bonexpert',
      model_version: '3.2.1',
      finding: 'none',
      score: null,
      value: 10.2,
      attempt: 1,
      queued_ms: 38,
      inference_ms: 15_500,
      total_ms: 15_538,
    }),
  'inference.failed': () =>
    makeEvent('inference.failed', {
      ...study,
      occurred_at: '2026-03-02T08:16:04.300Z',
      product: 'rbfracture',
      error_class: 'timeout',
      retryable: true,
      attempt: 1,
      final: false,
      total_ms: 60_000,
    }),
  'result.delivered': () =>
    makeEvent('result.delivered', {
      ...study,
      occurred_at: '2026-03-02T08:15:20.400Z',
      product: 'bonexpert',
      channel: 'dicom-sr',
      acknowledged: true,
      delivery_ms: 600,
    }),
  'result.viewed': () =>
    makeEvent('result.viewed', {
      ...study,
      occurred_at: '2026-03-02T09:02:11.000Z',
      product: 'bonexpert',
      user_key: key('user'),
      role: 'radiologist',
    }),
  'verdict.recorded': () =>
    makeEvent('verdict.recorded', {
      ...study,
      occurred_at: '2026-03-02T09:04:40.000Z',
      product: 'bonexpert',
      reader_key: key('user'),
      value: 10.0,
      agreement: true,
    }),
  'report.signed': () =>
    makeEvent('report.signed', {
      hospital: 'catharina',
      source: 'orchestrator',
      occurred_at: '2026-03-02T09:06:15.000Z',
      accession_key: key('accession'),
      status: 'final',
      reader_key: key('user'),
    }),
  'gateway.heartbeat': () =>
    makeEvent('gateway.heartbeat', {
      hospital: 'catharina',
      source: 'gateway',
      occurred_at: '2026-03-02T08:15:00.000Z',
      component: 'pacs-gateway',
      status: 'up',
    }),
};

/** A valid example of an event of the given type (fresh event_id each call). */
export function exampleEvent(type: EventType): AifiEvent {
  return examples[type]();
}
