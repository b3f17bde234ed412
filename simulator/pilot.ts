import type { ProductId } from '../events/index.ts';

/** The kinds of study the pilot sees, and what each is for. */
export type StudyKind = 'bone-age' | 'fracture' | 'chest-ct' | 'other';

/** What the simulator needs of any hospital it simulates: its id and its readers of AI results per product. */
export interface WorkloadHospital {
  id: string;
  /** Readers of AI results per contracted product. */
  users: Partial<Record<ProductId, number>>;
}

/** A hospital of the pilot as a workload. Volumes are studies per week. */
export interface PilotHospital extends WorkloadHospital {
  weekly: Record<StudyKind, number>;
  /** Share of fracture X-rays from the emergency department (acute). */
  acuteShare: number;
  /** Share of studies sent automatically (the rest a user sends by hand, later). */
  automaticShare: number;
  /** X-ray and CT scanner makes with their shares. */
  xrayMakes: Record<string, number>;
  ctMakes: Record<string, number>;
  /** A hospital that joins later: no studies in weeks that begin before this (epoch ms). */
  fromMs?: number;
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

/** How a binary product behaves at baseline: inference spread 0.45, readers look 0.3 as much where the result is not in the PACS. */
function binary(modelVersion: string, sensitivity: number, specificity: number, inferenceMedianMs: number, propensity: [number, number], offPacsFactor = 0.3): ProductBaseline {
  return { modelVersion, sensitivity, specificity, biasYears: 0, sdYears: 0, inferenceMedianMs, inferenceSigma: 0.45, propensity, offPacsFactor };
}

interface ProductBaseline {
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

/** Each product's behaviour at baseline, and how readers use it. */
export const PRODUCT_BASELINE: Record<ProductId, ProductBaseline> = {
  bonexpert: { modelVersion: '3.2.1', sensitivity: 1, specificity: 1, biasYears: 0, sdYears: 0.6, inferenceMedianMs: 40_000, inferenceSigma: 0.4, propensity: [40, 1.2], offPacsFactor: 0.3 },
  rbfracture: { modelVersion: '2.1.0', sensitivity: 0.92, specificity: 0.88, biasYears: 0, sdYears: 0, inferenceMedianMs: 90_000, inferenceSigma: 0.5, propensity: [4, 1.1], offPacsFactor: 0.3 },
  'cina-ipe': { modelVersion: '1.4.2', sensitivity: 0.9, specificity: 0.95, biasYears: 0, sdYears: 0, inferenceMedianMs: 240_000, inferenceSigma: 0.5, propensity: [1.2, 8], offPacsFactor: 0.25 },
  // The national catalogue's other products (simulated stand-ins): acute neuro and trauma tools are looked at most.
  rbknee: binary('1.3.0', 0.88, 0.85, 60_000, [3, 1.5]),
  'cina-ich': binary('2.0.1', 0.93, 0.92, 120_000, [6, 1.5]),
  'cina-lvo': binary('1.6.0', 0.9, 0.88, 150_000, [6, 1.2]),
  chestview: binary('4.1.0', 0.87, 0.86, 45_000, [2.5, 2]),
  'chestview-ptx': binary('4.1.0', 0.94, 0.95, 45_000, [2, 2]),
  'lungnod-ct': binary('2.3.0', 0.9, 0.8, 300_000, [2, 3], 0.25),
  'spineview-vf': binary('1.1.0', 0.85, 0.9, 60_000, [1.5, 4], 0.25),
  'ribfx-ct': binary('1.0.2', 0.89, 0.9, 240_000, [3, 2]),
  'cac-score': binary('3.0.0', 0.95, 0.9, 180_000, [4, 1.5]),
  'ccta-stenosis': binary('2.2.0', 0.9, 0.83, 600_000, [3, 2]),
  'prostate-mr': binary('1.5.0', 0.88, 0.8, 480_000, [3, 2]),
  'lumbar-mr': binary('1.2.0', 0.86, 0.82, 300_000, [2, 3]),
  'knee-mr': binary('2.0.0', 0.9, 0.87, 240_000, [2.5, 2.5]),
  'ms-lesion-mr': binary('3.1.0', 0.87, 0.9, 600_000, [4, 1.5]),
  'aspects-ct': binary('1.9.0', 0.8, 0.9, 120_000, [4, 2]),
  'mammo-detect': binary('2.4.0', 0.88, 0.93, 180_000, [5, 1.5]),
  'mammo-density': binary('2.4.0', 0.9, 0.9, 120_000, [1.5, 3]),
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
