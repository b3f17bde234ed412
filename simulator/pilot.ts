import type { ProductId } from '../events/index.ts';

/** The kinds of study the pilot sees, and what each is for. */
export type StudyKind = 'bone-age' | 'fracture' | 'chest-ct' | 'other';

/** A hospital of the pilot as a workload. Volumes are studies per week. */
export interface PilotHospital {
  id: string;
  weekly: Record<StudyKind, number>;
  /** Share of fracture X-rays from the emergency department (acute). */
  acuteShare: number;
  /** Share of studies sent automatically (the rest a user sends by hand, later). */
  automaticShare: number;
  /** X-ray and CT scanner makes with their shares. */
  xrayMakes: Record<string, number>;
  ctMakes: Record<string, number>;
  /** Readers of AI results per product. */
  users: Record<ProductId, number>;
}

/**
 * The Dutch AIFI pilot as a workload: assumptions of this simulator, chosen to
 * resemble the pilot's evaluation (volumes of a general and an academic
 * hospital, BoneXpert adoption above 90 %, RBfracture looked at by more than half
 * of its users in at least 70 % of their cases, CINA-iPE rarely used).
 */
export const PILOT: { hospitals: PilotHospital[] } = {
  hospitals: [
    {
      id: 'catharina',
      weekly: { 'bone-age': 10, fracture: 320, 'chest-ct': 110, other: 260 },
      acuteShare: 0.6,
      automaticShare: 0.9,
      xrayMakes: { Philips: 0.7, Agfa: 0.3 },
      ctMakes: { Philips: 1 },
      users: { bonexpert: 4, rbfracture: 24, 'cina-ipe': 12 },
    },
    {
      id: 'gelre',
      weekly: { 'bone-age': 8, fracture: 280, 'chest-ct': 90, other: 230 },
      acuteShare: 0.55,
      automaticShare: 0.85,
      xrayMakes: { Agfa: 0.8, Carestream: 0.2 },
      ctMakes: { Siemens: 1 },
      users: { bonexpert: 3, rbfracture: 20, 'cina-ipe': 10 },
    },
    {
      id: 'radboudumc',
      weekly: { 'bone-age': 22, fracture: 240, 'chest-ct': 180, other: 420 },
      acuteShare: 0.45,
      automaticShare: 0.95,
      xrayMakes: { Siemens: 0.6, Philips: 0.4 },
      ctMakes: { Siemens: 0.5, Canon: 0.5 },
      users: { bonexpert: 6, rbfracture: 30, 'cina-ipe': 20 },
    },
    {
      id: 'zgt',
      weekly: { 'bone-age': 9, fracture: 260, 'chest-ct': 95, other: 210 },
      acuteShare: 0.6,
      automaticShare: 0.8,
      xrayMakes: { Fujifilm: 1 },
      ctMakes: { 'GE Healthcare': 1 },
      users: { bonexpert: 3, rbfracture: 18, 'cina-ipe': 9 },
    },
    {
      id: 'rivierenland',
      weekly: { 'bone-age': 4, fracture: 120, 'chest-ct': 40, other: 110 },
      acuteShare: 0.65,
      automaticShare: 0.75,
      xrayMakes: { Carestream: 1 },
      ctMakes: { Canon: 1 },
      users: { bonexpert: 2, rbfracture: 10, 'cina-ipe': 6 },
    },
  ],
};

/** Each product's behaviour at baseline, and how readers use it. */
export const PRODUCT_BASELINE: Record<
  ProductId,
  {
    modelVersion: string;
    sensitivity: number;
    specificity: number;
    /** Bone age: the model's error against the truth, years. */
    biasYears: number;
    sdYears: number;
    /** Median inference time (ms) and log-scale spread. */
    inferenceMedianMs: number;
    inferenceSigma: number;
    /** Readers' propensity to look at the result: Beta(a, b) per reader. */
    propensity: [number, number];
    /** Where the result does not reach the PACS, a reader looks this much less. */
    offPacsFactor: number;
  }
> = {
  bonexpert: { modelVersion: '3.2.1', sensitivity: 1, specificity: 1, biasYears: 0, sdYears: 0.6, inferenceMedianMs: 40_000, inferenceSigma: 0.4, propensity: [40, 1.2], offPacsFactor: 0.3 },
  rbfracture: { modelVersion: '2.1.0', sensitivity: 0.92, specificity: 0.88, biasYears: 0, sdYears: 0, inferenceMedianMs: 90_000, inferenceSigma: 0.5, propensity: [4, 1.1], offPacsFactor: 0.3 },
  'cina-ipe': { modelVersion: '1.4.2', sensitivity: 0.9, specificity: 0.95, biasYears: 0, sdYears: 0, inferenceMedianMs: 240_000, inferenceSigma: 0.5, propensity: [1.2, 8], offPacsFactor: 0.25 },
};

/** Prevalence of the finding per kind of study (fracture; incidental PE). */
export const PREVALENCE: Record<Exclude<StudyKind, 'other' | 'bone-age'>, number> = { fracture: 0.3, 'chest-ct': 0.03 };

/** Timing assumptions (ms): the acquisition to arrival, and the wait until a reader looks. */
export const TIMING = {
  arrivalMedianMs: 90_000,
  manualExtraMedianMs: 25 * 60_000,
  deliveryMedianMs: 15_000,
  viewMedianMs: { acute: 8 * 60_000, routine: 45 * 60_000 },
  /** Share of verdicts that come within a day; the rest come 1 to 6 weeks later. */
  verdictSameDayShare: 0.75,
  /** Share of studies whose reader records a verdict at all. */
  verdictShare: 0.85,
  heartbeatEveryMs: 10 * 60_000,
};
