import { describe, expect, it } from 'vitest';
import { PILOT_HOSPITALS, Pseudonymizer } from './index.ts';
import type { InstanceHeader } from './dicom-header.ts';
import { receivedEvent, routedEvents, routedProducts, studyFacts } from './study-intake.ts';
import type { AssembledStudy } from './study-assembler.ts';
import { routeContracted } from './routing-rules.ts';

const catharina = PILOT_HOSPITALS.hospitals.find((h) => h.id === 'catharina')!;
const pseudonymizer = new Pseudonymizer(new Map([['catharina', '11'.repeat(32)]]));
const header: InstanceHeader = {
  sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1',
  sopInstanceUid: '1.2.3.4.1',
  studyInstanceUid: '1.2.3.4',
  seriesInstanceUid: '1.2.3.4.0',
  modality: 'DX',
  bodyPart: 'HAND',
  patientId: 'P-123',
  patientName: 'Jansen^Piet',
  referringPhysician: 'Dr Bakker',
  studyId: 'S1',
  imageComments: '',
  accessionNumber: ' ACC-9 ',
  patientAge: '009Y',
  birthDate: '',
  sex: 'M',
  studyDate: '20260302',
  studyTime: '081500',
  acquisitionDateTime: '',
  acquisitionDate: '20260302',
  acquisitionTime: '081000',
  timezoneOffset: '',
  manufacturer: 'Agfa\u0000\tDX',
  deviceModel: 'DX-D 600',
  contrastAgent: '',
  priority: 'ROUTINE',
  requestingService: 'ORTHO',
  descriptions: 'BONE AGE LEFT HAND',
};
const study = (h: Partial<InstanceHeader> = {}): AssembledStudy => ({
  hospital: catharina,
  sendMode: 'automatic',
  header: { ...header, ...h },
  instances: new Map([['1.2.3.4.1', { sopClassUid: header.sopClassUid, seriesInstanceUid: header.seriesInstanceUid }]]),
  firstReceivedAt: Date.UTC(2026, 2, 2, 7, 15, 10),
  lastReceivedAt: Date.UTC(2026, 2, 2, 7, 15, 40),
});
const common = (s: AssembledStudy) => ({ hospital: 'catharina', source: 'orchestrator', study_key: studyFacts(s, pseudonymizer).studyKey });

describe('the steps of a completed study', () => {
  it('facts: the study keyed under the hospital, the age and contrast the rules read', () => {
    const known = studyFacts(study(), pseudonymizer);
    expect(known.studyKey).toBe(pseudonymizer.pseudonym('catharina', 'study', '1.2.3.4'));
    expect(known.studyKey).toMatch(/^[0-9a-f]{64}$/);
    expect(known.facts).toEqual({ modality: 'DX', bodyPart: 'HAND', ageYears: 9, contrast: false, descriptions: 'BONE AGE LEFT HAND' });
    expect(studyFacts(study({ contrastAgent: 'IOMERON', patientAge: '', birthDate: '' }), pseudonymizer).facts).toMatchObject({ contrast: true, ageYears: null });
  });

  it('received event: no identifier in clear, text cleaned, codes in their vocabulary, the time of the first instance', () => {
    const s = study();
    const event = receivedEvent(s, studyFacts(s, pseudonymizer), common(s), false, pseudonymizer);
    const text = JSON.stringify(event);
    for (const identifier of ['P-123', 'ACC-9', 'Jansen', 'Bakker', '1.2.3.4', 'BONE AGE']) expect(text).not.toContain(identifier);
    expect(event).toMatchObject({
      type: 'study.received',
      occurred_at: '2026-03-02T07:15:10.000Z',
      patient_key: pseudonymizer.pseudonym('catharina', 'patient', 'P-123'),
      accession_key: pseudonymizer.pseudonym('catharina', 'accession', 'ACC-9'),
      manufacturer: 'Agfa  DX',
      urgency: 'routine',
      instance_count: 1,
      age_years: 9,
      acquired_at: '2026-03-02T07:10:00.000Z', // 08:10 in Amsterdam,
    });
    expect(event).not.toHaveProperty('amended');
    const odd = study({ modality: 'dx?', sex: 'X', accessionNumber: '  ', patientId: '' });
    const amended = receivedEvent(odd, studyFacts(odd, pseudonymizer), common(odd), true, pseudonymizer);
    expect(amended).toMatchObject({ modality: 'OT', sex: 'U', amended: true, occurred_at: '2026-03-02T07:15:40.000Z', patient_key: pseudonymizer.pseudonym('catharina', 'patient', 'unknown:1.2.3.4') });
    expect(amended).not.toHaveProperty('accession_key');
  });

  it('received event: acute by priority or by a service the hospital counts as acute', () => {
    const urgency = (h: Partial<InstanceHeader>) => {
      const s = study(h);
      return (receivedEvent(s, studyFacts(s, pseudonymizer), common(s), false, pseudonymizer) as { urgency: string }).urgency;
    };
    expect(urgency({ priority: 'STAT' })).toBe('acute');
    expect(urgency({ requestingService: 'SEH' })).toBe('acute');
    expect(urgency({ priority: 'LOW', requestingService: 'ORTHO' })).toBe('routine');
  });

  it('routing decision: one study.routed per contracted product, the routed ones dispatched', () => {
    const s = study();
    const decisions = routeContracted(studyFacts(s, pseudonymizer).facts, catharina);
    const events = routedEvents(decisions, common(s), 3);
    expect(events).toHaveLength(Object.keys(catharina.products).length);
    expect(events.every((e) => e.type === 'study.routed' && e.routing_ms === 3 && e.study_key === common(s).study_key)).toBe(true);
    expect(routedProducts(decisions)).toContain('bonexpert');
    expect(routedProducts(decisions)).not.toContain('cina-ipe');
    const [long] = routedEvents([{ product: 'rbfracture', outcome: 'not_eligible', rule: 'age', reason: 'x\n'.repeat(150) }], common(s), 0);
    expect(long).toMatchObject({ reason: expect.stringMatching(/^x x /) });
    expect((long as { reason: string }).reason.length).toBeLessThanOrEqual(200);
  });
});
