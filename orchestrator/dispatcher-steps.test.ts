import { BrokenCircuitError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { hospitalsFileSchema, PILOT_HOSPITALS, readInstanceHeader, syntheticStudy } from './index.ts';
import { deliveredEvent, deliveryOff, inferenceFailure, jobCommon, vendorJob } from './dispatcher.ts';
import type { RoutedStudy } from './study-intake.ts';
import { InferenceError } from './vendor-adapter.ts';

const gelre = PILOT_HOSPITALS.hospitals.find((h) => h.id === 'gelre')!;
const { files, studyInstanceUid } = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y', patientId: 'PID-7781', patientName: 'Visser^Anna', accessionNumber: 'ACC-5521', imageComments: 'truth' });
const header = readInstanceHeader(files[0]!);
const study: RoutedStudy = {
  hospital: gelre,
  studyKey: 'ab'.repeat(32),
  header,
  ageYears: 40,
  instanceCount: 1,
  instances: new Map([[header.sopInstanceUid, { sopClassUid: header.sopClassUid, seriesInstanceUid: header.seriesInstanceUid }]]),
  products: ['rbfracture'],
  traceId: 'f'.repeat(32),
  receivedAt: 0,
  routedAt: 0,
};
const pacs = { via: 'c-store' as const, host: '127.0.0.1', port: 4242, aeTitle: 'PACS' };

describe('the steps of a dispatch', () => {
  it("job: what the model reads, keyed by the study's pseudonym, no identifier", () => {
    const job = vendorJob(study, 'rbfracture');
    expect(job).toEqual({
      job_id: `${'ab'.repeat(16)}-rbfracture`,
      product: 'rbfracture',
      hospital: 'gelre',
      study: { modality: 'DX', body_part: 'WRIST', age_years: 40, sex: 'O', manufacturer: header.manufacturer, instance_count: 1 },
      image_content: 'truth',
    });
    const text = JSON.stringify(job);
    for (const identifier of ['PID-7781', 'Visser', 'ACC-5521', studyInstanceUid]) expect(text).not.toContain(identifier);
    expect(jobCommon(study, 'rbfracture', 'orchestrator')).toEqual({ hospital: 'gelre', source: 'orchestrator', study_key: study.studyKey, product: 'rbfracture', trace_id: 'f'.repeat(32) });
    expect(jobCommon({ ...study, traceId: undefined }, 'rbfracture', 'orchestrator')).not.toHaveProperty('trace_id');
  });

  it("failure: the vendor's error as it is, an open circuit retryable, anything else a final invalid response", () => {
    const timeout = new InferenceError('timeout', 'no answer in 300 ms', true);
    expect(inferenceFailure(timeout)).toBe(timeout);
    expect(inferenceFailure(new BrokenCircuitError())).toMatchObject({ errorClass: 'circuit_open', retryable: true });
    expect(inferenceFailure(new TypeError('x is undefined'))).toMatchObject({ errorClass: 'invalid_response', retryable: false, message: 'TypeError: x is undefined' });
  });

  it('delivery off: when the hospital does not want the results, or has no PACS', () => {
    expect(deliveryOff(gelre, 'rbfracture')).toBe('no PACS is configured for gelre');
    const file = hospitalsFileSchema.parse({
      hospitals: [
        { id: 'a', name: 'A', kind: 'general', products: { rbfracture: { deliver: true } }, aeTitles: {}, pacs },
        { id: 'b', name: 'B', kind: 'general', products: { rbfracture: { deliver: false } }, aeTitles: {}, pacs },
      ],
    });
    expect(deliveryOff(file.hospitals[0]!, 'rbfracture')).toBeNull();
    expect(deliveryOff(file.hospitals[1]!, 'rbfracture')).toBe('delivery of RBfracture results is off at b');
    expect(deliveryOff(file.hospitals[0]!, 'bonexpert')).toMatch(/delivery of BoneXpert results is off at a/);
  });

  it("delivered event: acknowledged only when every form sent was, the first refusal's reason, every configured form's outcome", () => {
    const common = jobCommon(study, 'rbfracture', 'orchestrator');
    const sr = { form: 'sr' as const, acknowledged: true, status: 0 };
    const sc = { form: 'sc' as const, acknowledged: false, status: 0xa700, reason: 'out of resources (after 3 attempts)' };
    const ko = { form: 'ko' as const, acknowledged: false, reason: 'no key object for a negative finding' };
    const all = deliveredEvent(common, ['sr', 'ko'], ['sr'], [ko, sr], 120, pacs);
    expect(all).toMatchObject({ type: 'result.delivered', channel: 'dicom-sr', acknowledged: true, delivery_ms: 120, pacs_via: 'c-store', forms: [sr, ko] });
    expect(all).not.toHaveProperty('reason');
    const partly = deliveredEvent(common, ['sc', 'sr'], ['sc', 'sr'], [sc, sr], 90, pacs);
    expect(partly).toMatchObject({ channel: 'dicom-sr', acknowledged: false, reason: 'sc: out of resources (after 3 attempts)', forms: [sc, sr] });
    expect(deliveredEvent(common, ['sc'], ['sc'], [{ ...sc, acknowledged: true }], 5, pacs)).toMatchObject({ channel: 'dicom-sc', acknowledged: true });
  });
});
