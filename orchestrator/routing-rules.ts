import { PRODUCT_IDS, type ProductId } from '../events/index.ts';
import { contracts, type Hospital } from './hospitals.ts';

/** What routing reads of a study. Descriptions stay inside the orchestrator. */
export interface StudyFacts {
  modality: string;
  bodyPart: string;
  ageYears: number | null;
  contrast: boolean;
  descriptions: string;
}

export interface RoutingDecision {
  product: ProductId;
  outcome: 'routed' | 'not_eligible';
  /** The rule that decided: the product's match rule, or the first rule that said no. */
  rule: string;
  reason: string;
}

interface Rule {
  id: string;
  holds: (f: StudyFacts) => boolean;
  /** Why the rule says no, without identifying content. */
  no: (f: StudyFacts) => string;
}

const XRAY = new Set(['CR', 'DX']);
const HAND_WRIST = new Set(['HAND', 'WRIST']);
/** Appendicular skeleton, shoulder girdle and pelvis (DICOM body part defined terms). */
const SKELETAL = new Set([
  'HAND', 'WRIST', 'FINGER', 'THUMB', 'FOREARM', 'ELBOW', 'ARM', 'UPPER ARM', 'UPPERARM', 'HUMERUS', 'SHOULDER', 'CLAVICLE', 'SCAPULA',
  'FOOT', 'TOE', 'HEEL', 'CALCANEUS', 'ANKLE', 'LEG', 'LOWER LEG', 'LOWERLEG', 'TIBIA', 'FIBULA', 'KNEE', 'PATELLA', 'THIGH', 'FEMUR',
  'HIP', 'PELVIS', 'EXTREMITY', 'UPPER LIMB', 'UPPERLIMB', 'LOWER LIMB', 'LOWERLIMB',
]);
const CHEST = new Set(['CHEST', 'THORAX', 'CHESTABDOMEN', 'CHEST_ABDOMEN', 'CHEST ABDOMEN', 'CHESTABDPELVIS', 'CHEST_ABDOMEN_PELVIS', 'TORSO', 'WHOLEBODY', 'WHOLE BODY', 'LUNG']);
const HEAD = new Set(['HEAD', 'BRAIN', 'SKULL']);
const HEAD_NECK = new Set([...HEAD, 'NECK', 'HEADNECK', 'HEAD_NECK', 'HEAD NECK', 'CAROTID']);
const HEART = new Set(['HEART', 'CARDIAC', 'CORONARY', 'CHEST', 'THORAX']);
/** Thoracic and lumbar spine, where osteoporotic vertebral fractures are seen. */
const THORACOLUMBAR = new Set(['SPINE', 'TSPINE', 'LSPINE', 'TLSPINE', 'THORACIC SPINE', 'LUMBAR SPINE']);
const LUMBAR = new Set(['LSPINE', 'LUMBAR SPINE', 'SPINE']);
const PROSTATE = new Set(['PROSTATE', 'PELVIS']);
/** How requests read in English and Dutch order texts. */
const BONE_AGE_REQUEST = /BONE ?AGE|SKELETAL AGE|SKELETLEEFTIJD|BOTLEEFTIJD|BONEXPERT/;
const STROKE_REQUEST = /STROKE|CVA|TIA|BEROERTE|HERSENINFARCT|TROMBECTOMIE|THROMBECTOMY/;
const ANGIO_REQUEST = /CTA|ANGIO/;
const TRAUMA_REQUEST = /TRAUMA|ONGEVAL|ACCIDENT|VAL VAN|FALL/;
const CALCIUM_REQUEST = /CALCIUM|CAC|KALKSCORE|AGATSTON/;
const CCTA_REQUEST = /CCTA|CORONAIR|CORONARY|CTCA/;
const PROSTATE_REQUEST = /PROSTA|PSA|PI-?RADS/;
const MS_REQUEST = /MULTIPLE SCLEROS|\bMS\b|DEMYELIN/;
const OA_REQUEST = /ARTROSE|ARTHROSIS|OSTEOARTHRITIS|GONARTROSE|\bOA\b/;

const age = (f: StudyFacts) => (f.ageYears === null ? 'unknown' : `${f.ageYears}`);

const modality = (allowed: Set<string>, label: string): Rule => ({
  id: 'modality',
  holds: (f) => allowed.has(f.modality),
  no: (f) => `modality ${f.modality || 'missing'} is not ${label}`,
});
const bodyPart = (allowed: Set<string>, label: string): Rule => ({
  id: 'body-part',
  holds: (f) => allowed.has(f.bodyPart),
  no: (f) => `body part ${f.bodyPart || 'missing'} is not ${label}`,
});
const request = (id: string, pattern: RegExp, label: string): Rule => ({
  id,
  holds: (f) => pattern.test(f.descriptions),
  no: () => `not requested as ${label}`,
});
const contrast: Rule = { id: 'contrast', holds: (f) => f.contrast, no: () => 'no contrast agent recorded' };
const noContrast: Rule = { id: 'no-contrast', holds: (f) => !f.contrast, no: () => 'a contrast study, the product reads non-contrast images' };
const ageRange = (min: number, max: number): Rule => ({
  id: 'age',
  holds: (f) => f.ageYears !== null && f.ageYears >= min && f.ageYears < max,
  no: (f) => `age ${age(f)} years is outside ${min} to ${max === Infinity ? 'any' : `under ${max}`}`,
});

interface ProductRules {
  match: string;
  describe: (f: StudyFacts) => string;
  rules: Rule[];
}

/** Products that read the same examinations share their rules. */
const CHEST_XRAY: ProductRules = {
  match: 'chest-xray',
  describe: (f) => `${f.modality} of the chest at age ${age(f)} years`,
  rules: [modality(XRAY, 'an X-ray (CR/DX)'), bodyPart(CHEST, 'the chest'), ageRange(16, Infinity)],
};
const MAMMOGRAPHY: ProductRules = {
  match: 'mammography',
  describe: (f) => `mammography at age ${age(f)} years`,
  rules: [modality(new Set(['MG']), 'mammography (MG)'), bodyPart(new Set(['BREAST']), 'breast'), ageRange(40, Infinity)],
};

/** Eligibility per product: every rule must hold; `match` names the routing when they do. */
export const PRODUCT_RULES: Record<ProductId, ProductRules> = {
  bonexpert: {
    match: 'paediatric-bone-age',
    describe: (f) => `${f.modality} of ${f.bodyPart} at age ${age(f)} years, bone-age request`,
    rules: [
      modality(XRAY, 'an X-ray (CR/DX)'),
      bodyPart(HAND_WRIST, 'hand or wrist'),
      ageRange(2, 18),
      { id: 'bone-age-request', holds: (f) => BONE_AGE_REQUEST.test(f.descriptions), no: () => 'not requested as a bone-age study' },
    ],
  },
  rbfracture: {
    match: 'skeletal-xray',
    describe: (f) => `${f.modality} of ${f.bodyPart} at age ${age(f)} years`,
    rules: [
      modality(XRAY, 'an X-ray (CR/DX)'),
      bodyPart(SKELETAL, 'appendicular skeleton or pelvis'),
      ageRange(2, Infinity),
      { id: 'not-bone-age-request', holds: (f) => !BONE_AGE_REQUEST.test(f.descriptions), no: () => 'a bone-age request, not a fracture question' },
    ],
  },
  'cina-ipe': {
    match: 'contrast-chest-ct',
    describe: (f) => `contrast CT of ${f.bodyPart} at age ${age(f)} years`,
    rules: [
      modality(new Set(['CT']), 'CT'),
      bodyPart(CHEST, 'covering the chest'),
      contrast,
      ageRange(18, Infinity),
    ],
  },
  rbknee: {
    match: 'knee-osteoarthritis-xray',
    describe: (f) => `${f.modality} of the knee at age ${age(f)} years, osteoarthritis question`,
    rules: [modality(XRAY, 'an X-ray (CR/DX)'), bodyPart(new Set(['KNEE']), 'knee'), ageRange(35, Infinity), request('osteoarthritis-request', OA_REQUEST, 'an osteoarthritis question')],
  },
  'cina-ich': {
    match: 'non-contrast-head-ct',
    describe: (f) => `non-contrast CT of ${f.bodyPart} at age ${age(f)} years`,
    rules: [modality(new Set(['CT']), 'CT'), bodyPart(HEAD, 'the head'), noContrast, ageRange(18, Infinity)],
  },
  'cina-lvo': {
    match: 'head-neck-cta-stroke',
    describe: (f) => `CT angiography of ${f.bodyPart} at age ${age(f)} years, stroke question`,
    rules: [
      modality(new Set(['CT']), 'CT'),
      bodyPart(HEAD_NECK, 'head or neck'),
      contrast,
      request('angio-request', ANGIO_REQUEST, 'a CT angiography'),
      request('stroke-request', STROKE_REQUEST, 'a stroke question'),
      ageRange(18, Infinity),
    ],
  },
  chestview: CHEST_XRAY,
  'chestview-ptx': CHEST_XRAY,
  'lungnod-ct': {
    match: 'chest-ct',
    describe: (f) => `CT of ${f.bodyPart} at age ${age(f)} years`,
    rules: [modality(new Set(['CT']), 'CT'), bodyPart(CHEST, 'covering the chest'), ageRange(35, Infinity)],
  },
  'spineview-vf': {
    match: 'thoracolumbar-spine-xray',
    describe: (f) => `${f.modality} of ${f.bodyPart} at age ${age(f)} years`,
    rules: [modality(XRAY, 'an X-ray (CR/DX)'), bodyPart(THORACOLUMBAR, 'thoracic or lumbar spine'), ageRange(50, Infinity)],
  },
  'ribfx-ct': {
    match: 'trauma-chest-ct',
    describe: (f) => `trauma CT of ${f.bodyPart} at age ${age(f)} years`,
    rules: [modality(new Set(['CT']), 'CT'), bodyPart(CHEST, 'covering the chest'), request('trauma-request', TRAUMA_REQUEST, 'a trauma study'), ageRange(16, Infinity)],
  },
  'cac-score': {
    match: 'calcium-score-ct',
    describe: (f) => `non-contrast cardiac CT at age ${age(f)} years`,
    rules: [modality(new Set(['CT']), 'CT'), bodyPart(HEART, 'the heart'), noContrast, request('calcium-request', CALCIUM_REQUEST, 'a calcium score'), ageRange(30, Infinity)],
  },
  'ccta-stenosis': {
    match: 'coronary-cta',
    describe: (f) => `coronary CT angiography at age ${age(f)} years`,
    rules: [modality(new Set(['CT']), 'CT'), bodyPart(HEART, 'the heart'), contrast, request('ccta-request', CCTA_REQUEST, 'a coronary CT angiography'), ageRange(18, Infinity)],
  },
  'prostate-mr': {
    match: 'prostate-mri',
    describe: (f) => `MRI of ${f.bodyPart} at age ${age(f)} years, prostate question`,
    rules: [modality(new Set(['MR']), 'MR'), bodyPart(PROSTATE, 'prostate or pelvis'), request('prostate-request', PROSTATE_REQUEST, 'a prostate question'), ageRange(40, Infinity)],
  },
  'lumbar-mr': {
    match: 'lumbar-spine-mri',
    describe: (f) => `MRI of ${f.bodyPart} at age ${age(f)} years`,
    rules: [modality(new Set(['MR']), 'MR'), bodyPart(LUMBAR, 'lumbar spine'), ageRange(18, Infinity)],
  },
  'knee-mr': {
    match: 'knee-mri',
    describe: (f) => `MRI of the knee at age ${age(f)} years`,
    rules: [modality(new Set(['MR']), 'MR'), bodyPart(new Set(['KNEE']), 'knee'), ageRange(12, Infinity)],
  },
  'ms-lesion-mr': {
    match: 'brain-mri-ms',
    describe: (f) => `MRI of ${f.bodyPart} at age ${age(f)} years, multiple-sclerosis follow-up`,
    rules: [modality(new Set(['MR']), 'MR'), bodyPart(HEAD, 'the head'), request('ms-request', MS_REQUEST, 'a multiple-sclerosis question'), ageRange(16, 71)],
  },
  'aspects-ct': {
    match: 'stroke-head-ct',
    describe: (f) => `non-contrast head CT at age ${age(f)} years, stroke question`,
    rules: [modality(new Set(['CT']), 'CT'), bodyPart(HEAD, 'the head'), noContrast, request('stroke-request', STROKE_REQUEST, 'a stroke question'), ageRange(18, Infinity)],
  },
  'mammo-detect': MAMMOGRAPHY,
  'mammo-density': MAMMOGRAPHY,
};

function decide(product: ProductId, facts: StudyFacts, hospital: Hospital): RoutingDecision {
  if (!contracts(hospital, product)) {
    return { product, outcome: 'not_eligible', rule: 'contract', reason: `${hospital.id} has no contract for ${product}` };
  }
  const spec = PRODUCT_RULES[product];
  const failed = spec.rules.find((rule) => !rule.holds(facts));
  return failed
    ? { product, outcome: 'not_eligible', rule: failed.id, reason: failed.no(facts) }
    : { product, outcome: 'routed', rule: spec.match, reason: spec.describe(facts) };
}

/** One decision per product in the catalogue: routed, or not eligible with the rule that said no. */
export function route(facts: StudyFacts, hospital: Hospital): RoutingDecision[] {
  return PRODUCT_IDS.map((product) => decide(product, facts, hospital));
}

/**
 * The decisions for the products the hospital contracts, in catalogue order:
 * what the orchestrator records of a study (a product never bought is not a
 * decision worth an event on every study).
 */
export function routeContracted(facts: StudyFacts, hospital: Hospital): RoutingDecision[] {
  return PRODUCT_IDS.filter((product) => contracts(hospital, product)).map((product) => decide(product, facts, hospital));
}
