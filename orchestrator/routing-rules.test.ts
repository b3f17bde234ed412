import { describe, expect, it } from 'vitest';
import { PRODUCT_IDS } from '../events/index.ts';
import { dicomDateTimeToIso, dicomDtToIso } from './dicom-time.ts';
import { ageInYears, NATIONAL_HOSPITALS, PILOT_HOSPITALS, route, routeContracted, type Hospital, type StudyFacts } from './index.ts';

const catharina = PILOT_HOSPITALS.hospitals.find((h) => h.id === 'catharina')!;
const rivierenland = PILOT_HOSPITALS.hospitals.find((h) => h.id === 'rivierenland')!;
const facts = (f: Partial<StudyFacts>): StudyFacts => ({ modality: 'DX', bodyPart: 'HAND', ageYears: 40, contrast: false, descriptions: '', ...f });
const decisions = (f: Partial<StudyFacts>, hospital: Hospital = catharina) => Object.fromEntries(routeContracted(facts(f), hospital).map((d) => [d.product, `${d.outcome}:${d.rule}`]));

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

describe('routing rules of the national catalogue', () => {
  const everything: Hospital = { ...catharina, products: Object.fromEntries(PRODUCT_IDS.map((p) => [p, { deliver: true }])) };
  const routed = (f: Partial<StudyFacts>) => routeContracted(facts(f), everything).filter((d) => d.outcome === 'routed').map((d) => d.product);
  const why = (f: Partial<StudyFacts>, product: string) => routeContracted(facts(f), everything).find((d) => d.product === product)!.rule;

  it('send each kind of examination to the products made for it, and to no other', () => {
    expect(routed({ modality: 'DX', bodyPart: 'CHEST', ageYears: 60 })).toEqual(['chestview', 'chestview-ptx']);
    expect(routed({ modality: 'DX', bodyPart: 'KNEE', ageYears: 64, descriptions: 'X KNIE GONARTROSE' })).toEqual(['rbfracture', 'rbknee']);
    expect(routed({ modality: 'DX', bodyPart: 'LSPINE', ageYears: 72 })).toEqual(['spineview-vf']);
    expect(routed({ modality: 'CT', bodyPart: 'HEAD', ageYears: 70, descriptions: 'CT HERSENEN' })).toEqual(['cina-ich']);
    expect(routed({ modality: 'CT', bodyPart: 'HEAD', ageYears: 70, descriptions: 'CT HERSENEN CVA' })).toEqual(['cina-ich', 'aspects-ct']);
    expect(routed({ modality: 'CT', bodyPart: 'NECK', ageYears: 70, contrast: true, descriptions: 'CTA HALSVATEN CVA' })).toEqual(['cina-lvo']);
    expect(routed({ modality: 'CT', bodyPart: 'CHEST', ageYears: 58, contrast: true, descriptions: 'CT THORAX' })).toEqual(['cina-ipe', 'lungnod-ct']);
    expect(routed({ modality: 'CT', bodyPart: 'CHESTABDOMEN', ageYears: 30, contrast: true, descriptions: 'CT POLYTRAUMA' })).toEqual(['cina-ipe', 'ribfx-ct']);
    expect(routed({ modality: 'CT', bodyPart: 'HEART', ageYears: 55, descriptions: 'CT CALCIUMSCORE' })).toEqual(['cac-score']);
    expect(routed({ modality: 'CT', bodyPart: 'HEART', ageYears: 55, contrast: true, descriptions: 'CCTA CORONAIR' })).toEqual(['ccta-stenosis']);
    expect(routed({ modality: 'MR', bodyPart: 'PROSTATE', ageYears: 66, descriptions: 'MRI PROSTAAT PSA' })).toEqual(['prostate-mr']);
    expect(routed({ modality: 'MR', bodyPart: 'LSPINE', ageYears: 45 })).toEqual(['lumbar-mr']);
    expect(routed({ modality: 'MR', bodyPart: 'KNEE', ageYears: 25 })).toEqual(['knee-mr']);
    expect(routed({ modality: 'MR', bodyPart: 'HEAD', ageYears: 35, descriptions: 'MRI HERSENEN MS FOLLOW-UP' })).toEqual(['ms-lesion-mr']);
    expect(routed({ modality: 'MG', bodyPart: 'BREAST', ageYears: 52 })).toEqual(['mammo-detect', 'mammo-density']);
    expect(routed({ modality: 'US', bodyPart: 'ABDOMEN', ageYears: 52 })).toEqual([]);
  });

  it('say which rule said no: contrast, request text, age', () => {
    expect(why({ modality: 'CT', bodyPart: 'HEAD', contrast: true }, 'cina-ich')).toBe('no-contrast');
    expect(why({ modality: 'CT', bodyPart: 'HEAD', contrast: true, descriptions: 'CTA CIRKEL VAN WILLIS' }, 'cina-lvo')).toBe('stroke-request');
    expect(why({ modality: 'CT', bodyPart: 'HEAD', contrast: true, descriptions: 'CT HERSENEN CVA' }, 'cina-lvo')).toBe('angio-request');
    expect(why({ modality: 'CT', bodyPart: 'HEART', descriptions: 'CCTA CORONAIR' }, 'ccta-stenosis')).toBe('contrast');
    expect(why({ modality: 'MR', bodyPart: 'HEAD', ageYears: 75, descriptions: 'MS' }, 'ms-lesion-mr')).toBe('age');
    expect(why({ modality: 'MR', bodyPart: 'HEAD', descriptions: 'MRI HERSENEN HOOFDPIJN' }, 'ms-lesion-mr')).toBe('ms-request');
    expect(why({ modality: 'DX', bodyPart: 'KNEE', ageYears: 64, descriptions: 'X KNIE TRAUMA' }, 'rbknee')).toBe('osteoarthritis-request');
    expect(why({ modality: 'MG', bodyPart: 'BREAST', ageYears: 30 }, 'mammo-detect')).toBe('age');
    expect(why({ modality: 'DX', bodyPart: 'LSPINE', ageYears: 40 }, 'spineview-vf')).toBe('age');
  });

  it('decide for national hospitals by their contracts, recording only what they bought', () => {
    expect(NATIONAL_HOSPITALS.hospitals).toHaveLength(70);
    for (const hospital of NATIONAL_HOSPITALS.hospitals) {
      const decisions = routeContracted(facts({ modality: 'DX', bodyPart: 'WRIST', ageYears: 40 }), hospital);
      expect(decisions.map((d) => d.product)).toEqual(PRODUCT_IDS.filter((p) => hospital.products[p] !== undefined));
      expect(route(facts({}), hospital)).toHaveLength(PRODUCT_IDS.length);
    }
    const withoutIch = NATIONAL_HOSPITALS.hospitals.find((h) => !h.products['cina-ich'])!;
    expect(route(facts({ modality: 'CT', bodyPart: 'HEAD' }), withoutIch).find((d) => d.product === 'cina-ich')!.rule).toBe('contract');
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
