import { createHash } from 'node:crypto';
import { makeEvent, type AifiEvent } from '../events/index.ts';

/** A stand-in pseudonym for test data. */
export const sampleKey = (s: string) => createHash('sha256').update(s).digest('hex');
const at = (base: number, offsetMs: number) => new Date(base + offsetMs).toISOString();

/**
 * The whole life of study number i, a fracture X-ray (routed to RBfracture, not eligible for
 * BoneXpert): received, routed, a timeout then a retry, inferred, delivered, viewed twice, a verdict revised a day later.
 * Deterministic in i except for event ids.
 */
export function sampleStudyEvents(i: number): AifiEvent[] {
  const t0 = Date.UTC(2026, 2, 2, 8, 0, 0) + i * 60_000;
  const common = { hospital: i % 2 ? 'gelre' : 'catharina', source: 'orchestrator', study_key: sampleKey(`study-${i}`) };
  const product = 'rbfracture' as const;
  return [
    makeEvent('study.received', {
      ...common,
      occurred_at: at(t0, 0),
      patient_key: sampleKey(`patient-${i}`),
      modality: 'DX',
      body_part: 'WRIST',
      age_years: 30 + (i % 40),
      sex: i % 3 ? 'F' : 'M',
      manufacturer: 'Agfa',
      device_model: 'DX-D 600',
      contrast: false,
      urgency: i % 4 ? 'routine' : 'acute',
      send_mode: 'automatic',
      instance_count: 2,
      acquired_at: at(t0, -120_000),
    }),
    makeEvent('study.routed', { ...common, occurred_at: at(t0, 15), product, outcome: 'routed', rule: 'skeletal-xray', reason: 'DX of WRIST', routing_ms: 15 }),
    makeEvent('study.routed', { ...common, occurred_at: at(t0, 15), product: 'bonexpert', outcome: 'not_eligible', rule: 'paediatric-age', reason: 'age over 18', routing_ms: 15 }),
    makeEvent('inference.requested', { ...common, occurred_at: at(t0, 40), product, attempt: 1, queued_ms: 25 }),
    makeEvent('inference.failed', { ...common, occurred_at: at(t0, 5_040), product, error_class: 'timeout', retryable: true, attempt: 1, final: false, total_ms: 5_000 }),
    makeEvent('inference.requested', { ...common, occurred_at: at(t0, 6_040), product, attempt: 2, queued_ms: 25 }),
    makeEvent('inference.completed', {
      ...common,
      occurred_at: at(t0, 9_000),
      product,
      model_version: '2.1.0',
      finding: i % 5 ? 'negative' : 'positive',
      score: (i % 10) / 10,
      value: null,
      attempt: 2,
      queued_ms: 25,
      inference_ms: 2_960,
      total_ms: 8_985,
    }),
    makeEvent('result.delivered', { ...common, occurred_at: at(t0, 9_500), product, channel: 'dicom-sr', acknowledged: true, delivery_ms: 500 }),
    makeEvent('result.viewed', { ...common, occurred_at: at(t0, 600_000), product, user_key: sampleKey('user-a'), role: 'radiologist' }),
    makeEvent('result.viewed', { ...common, occurred_at: at(t0, 700_000), product, user_key: sampleKey('user-b'), role: 'clinician' }),
    makeEvent('verdict.recorded', { ...common, occurred_at: at(t0, 800_000), product, reader_key: sampleKey('user-a'), label: 'negative', agreement: i % 5 !== 0 }),
    makeEvent('verdict.recorded', { ...common, occurred_at: at(t0, 86_400_000), product, reader_key: sampleKey('user-c'), label: 'positive', agreement: i % 5 === 0 }),
  ];
}

