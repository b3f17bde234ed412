import { hash } from 'node:crypto';
import { Random } from '../vendors/index.ts';
import type { ProductId } from '../events/index.ts';
import { PILOT, PREVALENCE, TIMING, type PilotHospital, type WorkloadHospital } from './pilot.ts';
import type { Scenario } from './scenario.ts';
import { startMs, Timeline } from './timeline.ts';

export const WEEK_MS = 7 * 24 * 3600 * 1000;

/** One study of the simulated pilot, as the modality makes it. Everything downstream is drawn from it and the seed. */
export interface StudyPlan {
  /** Unique within a run: the study's number. */
  id: string;
  hospital: WorkloadHospital;
  /** The kind of examination (the pilot's StudyKind, or a kind of the national network). */
  kind: string;
  acquiredAt: number;
  /** When the gateway delivers it (after an outage, when the gateway is back). */
  arrivesAt: number;
  sendMode: 'automatic' | 'manual';
  urgency: 'acute' | 'routine';
  modality: 'CR' | 'DX' | 'CT' | 'MR' | 'MG' | 'US';
  bodyPart: string;
  ageYears: number;
  sex: 'M' | 'F';
  manufacturer: string;
  deviceModel: string;
  contrast: boolean;
  description: string;
  instanceCount: number;
  /**
   * The ground truth: the finding (the pilot's studies have one finding), or one
   * per product where several products look for different findings in the same
   * study; a true bone age for hand X-rays.
   */
  truth: { finding: 'positive' | 'negative'; boneAgeYears: number | null; findings?: Partial<Record<ProductId, 'positive' | 'negative'>> };
}

/** The true finding a product looks for in a study. */
export function truthFor(plan: StudyPlan, product: ProductId): 'positive' | 'negative' {
  return plan.truth.findings?.[product] ?? plan.truth.finding;
}

const FRACTURE_PARTS = ['WRIST', 'HAND', 'ANKLE', 'FOOT', 'KNEE', 'ELBOW', 'SHOULDER', 'HIP', 'FOREARM', 'LEG'];
const OTHER = [
  { modality: 'CT', bodyPart: 'HEAD' },
  { modality: 'MR', bodyPart: 'KNEE' },
  { modality: 'DX', bodyPart: 'CHEST' },
  { modality: 'CT', bodyPart: 'ABDOMEN' },
] as const;

/** Hour-of-day weights: radiology is busy in office hours, the emergency department around the clock. */
export function dayTime(random: Random, acute: boolean): number {
  const hour = acute ? random.int(24) : 7 + random.int(11);
  return (hour * 3600 + random.int(3600)) * 1000;
}

export const digest = (text: string) => hash('sha256', text, 'hex');

/** When the gateway delivers a study acquired at `acquiredAt`: after the transfer, a manual send's wait, and any outage. */
export function arrival(random: Random, acquiredAt: number, sendMode: 'automatic' | 'manual', outages: [number, number][]): number {
  let arrivesAt = acquiredAt + random.logNormal(TIMING.arrivalMedianMs, 0.6) + (sendMode === 'manual' ? random.logNormal(TIMING.manualExtraMedianMs, 0.7) : 0);
  for (const [from, to] of outages) if (arrivesAt >= from && arrivesAt < to) arrivesAt = to + random.int(10 * 60_000);
  return arrivesAt;
}

/**
 * The studies of a simulated pilot week, in time order: deterministic for the
 * seed, the scenario and the week; `only` keeps one hospital's.
 */
export function pilotStudiesOfWeek(scenario: Scenario, timeline: Timeline, seed: string | number, week: number, only?: string, hospitals: PilotHospital[] = PILOT.hospitals): StudyPlan[] {
  const weekStart = startMs(scenario.start) + week * WEEK_MS;
  const plans: StudyPlan[] = [];
  for (const hospital of hospitals) {
    if (only !== undefined && hospital.id !== only) continue;
    if (hospital.fromMs !== undefined && weekStart < hospital.fromMs) continue;
    const outages = timeline.outages(hospital.id);
    for (const kind of Object.keys(hospital.weekly) as (keyof typeof hospital.weekly)[]) {
      const random = new Random(`${seed}|${week}|${hospital.id}|${kind}`);
      const count = random.poisson(hospital.weekly[kind] * scenario.volume_factor);
      for (let n = 0; n < count; n++) {
        const acute = kind === 'fracture' && random.chance(hospital.acuteShare);
        const day = random.int(kind === 'fracture' && acute ? 7 : 5);
        const acquiredAt = weekStart + day * 24 * 3600_000 + dayTime(random, acute);
        const sendMode = random.chance(hospital.automaticShare) ? 'automatic' : 'manual';
        const arrivesAt = arrival(random, acquiredAt, sendMode, outages);
        const xray = random.weighted(hospital.xrayMakes);
        const manufacturer = kind === 'chest-ct' || (kind === 'other' && n % 2 === 0) ? random.weighted(hospital.ctMakes) : timeline.text('input_mix', hospital.id, undefined, acquiredAt, xray);
        const base = {
          id: `${week}-${hospital.id}-${kind}-${n}`,
          hospital,
          kind,
          acquiredAt,
          arrivesAt,
          sendMode,
          urgency: acute ? 'acute' : 'routine',
          sex: random.chance(0.5) ? 'M' : 'F',
          manufacturer,
          deviceModel: `${manufacturer.split(' ')[0]} ${kind === 'chest-ct' ? 'CT 128' : 'DR 500'}`,
          contrast: false,
          description: '',
          instanceCount: 1,
        } as const;
        if (kind === 'bone-age') {
          const age = 3 + random.next() * 14;
          plans.push({
            ...base,
            modality: 'DX',
            bodyPart: 'HAND',
            ageYears: age,
            description: 'Skeletleeftijd',
            truth: { finding: 'negative', boneAgeYears: Math.max(1, age + random.normal(0, 1.2)) },
          });
        } else if (kind === 'fracture') {
          const prevalence = timeline.number('positive_rate', hospital.id, 'rbfracture', acquiredAt, PREVALENCE.fracture);
          plans.push({
            ...base,
            modality: random.chance(0.7) ? 'DX' : 'CR',
            bodyPart: random.pick(FRACTURE_PARTS),
            ageYears: random.chance(0.15) ? 4 + random.next() * 13 : 18 + random.next() * 72,
            instanceCount: 1 + random.int(3),
            truth: { finding: random.chance(prevalence) ? 'positive' : 'negative', boneAgeYears: null },
          });
        } else if (kind === 'chest-ct') {
          const prevalence = timeline.number('positive_rate', hospital.id, 'cina-ipe', acquiredAt, PREVALENCE['chest-ct']);
          plans.push({
            ...base,
            modality: 'CT',
            bodyPart: random.chance(0.7) ? 'CHEST' : 'CHESTABDOMEN',
            ageYears: 30 + random.next() * 60,
            contrast: random.chance(0.85),
            instanceCount: 200 + random.int(300),
            truth: { finding: random.chance(prevalence) ? 'positive' : 'negative', boneAgeYears: null },
          });
        } else {
          const o = random.pick(OTHER);
          plans.push({ ...base, modality: o.modality, bodyPart: o.bodyPart, ageYears: 20 + random.next() * 70, instanceCount: 1 + random.int(100), truth: { finding: 'negative', boneAgeYears: null } });
        }
      }
    }
  }
  return plans.sort((a, b) => a.arrivesAt - b.arrivesAt || a.id.localeCompare(b.id));
}
