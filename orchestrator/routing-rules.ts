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
/** How a bone-age request reads in English and Dutch order texts. */
const BONE_AGE_REQUEST = /BONE ?AGE|SKELETAL AGE|SKELETLEEFTIJD|BOTLEEFTIJD|BONEXPERT/;

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
const ageRange = (min: number, max: number): Rule => ({
  id: 'age',
  holds: (f) => f.ageYears !== null && f.ageYears >= min && f.ageYears < max,
  no: (f) => `age ${age(f)} years is outside ${min} to ${max === Infinity ? 'any' : `under ${max}`}`,
});

/** Eligibility per product: every rule must hold; `match` names the routing when they do. */
export const PRODUCT_RULES: Record<ProductId, { match: string; describe: (f: StudyFacts) => string; rules: Rule[] }> = {
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
      { id: 'contrast', holds: (f) => f.contrast, no: () => 'no contrast agent recorded' },
      ageRange(18, Infinity),
    ],
  },
};

/** One decision per product in the catalogue: routed, or not eligible with the rule that said no. */
export function route(facts: StudyFacts, hospital: Hospital): RoutingDecision[] {
  return PRODUCT_IDS.map((product) => {
    if (!contracts(hospital, product)) {
      return { product, outcome: 'not_eligible', rule: 'contract', reason: `${hospital.id} has no contract for ${product}` };
    }
    const spec = PRODUCT_RULES[product];
    const failed = spec.rules.find((rule) => !rule.holds(facts));
    return failed
      ? { product, outcome: 'not_eligible', rule: failed.id, reason: failed.no(facts) }
      : { product, outcome: 'routed', rule: spec.match, reason: spec.describe(facts) };
  });
}
