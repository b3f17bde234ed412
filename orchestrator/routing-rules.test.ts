import { describe, expect, it } from 'vitest';
import { dicomDateTimeToIso, dicomDtToIso } from './dicom-time.ts';
import { ageInYears, PILOT_HOSPITALS, route, type StudyFacts } from './index.ts';

const catharina = PILOT_HOSPITALS.hospitals.find((h) => h.id === 'catharina')!;
const rivierenland = PILOT_HOSPITALS.hospitals.find((h) => h.id === 'rivierenland')!;
const facts = (f: Partial<StudyFacts>): StudyFacts => ({ modality: 'DX', bodyPart: 'HAND', ageYears: 40, contrast: false, descriptions: '', ...f });
const decisions = (f: Partial<StudyFacts>, hospital = catharina) => Object.fromEntries(route(facts(f), hospital).map((d) => [d.product, `${d.outcome}:${d.rule}`]));

describe('routing rules', () => {
  it('send a paediatric bone-age hand X-ray to BoneXpert only', () => {
    expect(decisions({ ageYears: 9.5, descriptions: 'BONE AGE LEFT HAND' })).toEqual({
      bonexpert: 'routed:paediatric-bone-age',
      rbfracture: 'not_eligible:not-bone-age-request',
      'cina-ipe': 'not_eligible:modality',
    });
  });

  it('send a trauma X-ray of the skeleton to RBfracture, whatever the age from 2', () => {
    for (const [bodyPart, ageYears] of [['WRIST', 45], ['HAND', 9], ['ANKLE', 2], ['PELVIS', 88]] as const) {
      expect(decisions({ bodyPart, ageYears }).rbfracture).toBe('routed:skeletal-xray');
    }
    expect(decisions({ bodyPart: 'CHEST' }).rbfracture).toBe('not_eligible:body-part');
    expect(decisions({ bodyPart: 'KNEE', ageYears: 1.5 }).rbfracture).toBe('not_eligible:age');
    expect(decisions({ bodyPart: 'KNEE', ageYears: null }).rbfracture).toBe('not_eligible:age');
  });

  it('send a contrast CT covering the chest of an adult to CINA-iPE', () => {
    expect(decisions({ modality: 'CT', bodyPart: 'CHEST', contrast: true })['cina-ipe']).toBe('routed:contrast-chest-ct');
    expect(decisions({ modality: 'CT', bodyPart: 'CHESTABDOMEN', contrast: true })['cina-ipe']).toBe('routed:contrast-chest-ct');
    expect(decisions({ modality: 'CT', bodyPart: 'CHEST', contrast: false })['cina-ipe']).toBe('not_eligible:contrast');
    expect(decisions({ modality: 'CT', bodyPart: 'HEAD', contrast: true })['cina-ipe']).toBe('not_eligible:body-part');
    expect(decisions({ modality: 'CT', bodyPart: 'CHEST', contrast: true, ageYears: 16 })['cina-ipe']).toBe('not_eligible:age');
  });

  it('never route a product the hospital has no contract for, and say so', () => {
    const limited = { ...rivierenland, products: { rbfracture: { deliver: true } } };
    const result = route(facts({ modality: 'CT', bodyPart: 'CHEST', contrast: true }), limited).find((d) => d.product === 'cina-ipe')!;
    expect(result).toEqual({ product: 'cina-ipe', outcome: 'not_eligible', rule: 'contract', reason: 'rivierenland has no contract for cina-ipe' });
  });
});

describe('age at the study', () => {
  it('comes from PatientAge, else from birth date and study date, never more precise than needed', () => {
    expect(ageInYears('009Y', '', '')).toBe(9);
    expect(ageInYears('018M', '', '')).toBe(1.5);
    expect(ageInYears('', '20160901', '20260302')).toBe(9.4);
    expect(ageInYears('', '19810615', '20260302')).toBe(44);
    expect(ageInYears('097Y', '', '')).toBe(90);
    expect(ageInYears('', '', '20260302')).toBeNull();
    expect(ageInYears('abc', '2016', '20260302')).toBeNull();
  });
});

describe('DICOM local times', () => {
  it('turn into UTC in the hospital time zone, across daylight saving, or with an explicit offset', () => {
    expect(dicomDateTimeToIso('20260115', '081500', 'Europe/Amsterdam')).toBe('2026-01-15T07:15:00.000Z');
    expect(dicomDateTimeToIso('20260715', '081500.25', 'Europe/Amsterdam')).toBe('2026-07-15T06:15:00.250Z');
    expect(dicomDateTimeToIso('20260715', '0815', 'Europe/Amsterdam', '-0500')).toBe('2026-07-15T13:15:00.000Z');
    expect(dicomDtToIso('20260329023000', 'Europe/Amsterdam')).toMatch(/^2026-03-29T0[01]:30:00.000Z$/);
    expect(dicomDateTimeToIso('2026-01-15', '', 'Europe/Amsterdam')).toBeNull();
  });
});
