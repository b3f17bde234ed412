import type { ProductId } from '../events/index.ts';
import { NATIONAL_HOSPITALS } from '../orchestrator/index.ts';
import { Random } from '../vendors/index.ts';
import type { WorkloadHospital } from './pilot.ts';
import type { Scenario } from './scenario.ts';
import { startMs, type Timeline } from './timeline.ts';
import { arrival, dayTime, WEEK_MS, type StudyPlan } from './workload.ts';

type Fleet = 'xray' | 'ct' | 'mr' | 'mg' | 'us';

/** A kind of examination the national network sends, and the findings the products look for in it. */
interface ExamKind {
  id: string;
  /** Share of a hospital's studies (before the hospital's own mix). */
  share: number;
  modality: StudyPlan['modality'] | 'XR';
  fleet: Fleet;
  bodyParts: Record<string, number>;
  /** Uniform age range in years; `child` is the share of 2 to 16 year olds. */
  age: [number, number];
  child?: number;
  sex?: 'M' | 'F';
  contrast: number;
  /** Share from the emergency department. */
  acute: number;
  /** Request texts as the order says them (English and Dutch). */
  requests: Record<string, number>;
  instances: [number, number];
  /** Prevalence of each product's finding among these studies. */
  findings: Partial<Record<ProductId, number>>;
}

const TRAUMA_PARTS = { WRIST: 3, HAND: 2, ANKLE: 3, FOOT: 2, KNEE: 1, ELBOW: 1, SHOULDER: 2, HIP: 2, FOREARM: 1, LEG: 1, PELVIS: 1 };

/**
 * The examinations of a Dutch hospital that the platform receives, as this
 * simulator assumes them (about 15 million a year nationally: X-ray about
 * 55 %, CT 14 %, MR 6 %, mammography 4 %, ultrasound and the rest 21 %).
 */
const KINDS: ExamKind[] = [
  { id: 'chest-xray', share: 0.19, modality: 'XR', fleet: 'xray', bodyParts: { CHEST: 1 }, age: [16, 95], child: 0.05, contrast: 0, acute: 0.35, requests: { 'X THORAX': 3, 'X THORAX DYSPNOE': 1 }, instances: [1, 2], findings: { chestview: 0.25, 'chestview-ptx': 0.02 } },
  { id: 'trauma-xray', share: 0.17, modality: 'XR', fleet: 'xray', bodyParts: TRAUMA_PARTS, age: [16, 95], child: 0.15, contrast: 0, acute: 0.6, requests: { 'X TRAUMA': 2, 'X SKELET': 1 }, instances: [1, 3], findings: { rbfracture: 0.3 } },
  { id: 'knee-xray', share: 0.04, modality: 'XR', fleet: 'xray', bodyParts: { KNEE: 1 }, age: [35, 90], contrast: 0, acute: 0, requests: { 'X KNIE GONARTROSE': 1, 'X KNIE ARTROSE': 1 }, instances: [1, 3], findings: { rbknee: 0.55, rbfracture: 0.02 } },
  { id: 'spine-xray', share: 0.035, modality: 'XR', fleet: 'xray', bodyParts: { LSPINE: 2, TSPINE: 1, SPINE: 1 }, age: [20, 95], contrast: 0, acute: 0.1, requests: { 'X WERVELKOLOM': 1 }, instances: [1, 2], findings: { 'spineview-vf': 0.12 } },
  { id: 'bone-age', share: 0.003, modality: 'XR', fleet: 'xray', bodyParts: { HAND: 1 }, age: [3, 17], contrast: 0, acute: 0, requests: { Skeletleeftijd: 1 }, instances: [1, 1], findings: {} },
  { id: 'abdomen-xray', share: 0.05, modality: 'XR', fleet: 'xray', bodyParts: { ABDOMEN: 1 }, age: [18, 95], contrast: 0, acute: 0.3, requests: { 'X BUIKOVERZICHT': 1 }, instances: [1, 2], findings: {} },
  { id: 'head-ct', share: 0.035, modality: 'CT', fleet: 'ct', bodyParts: { HEAD: 1 }, age: [18, 95], contrast: 0, acute: 0.6, requests: { 'CT HERSENEN': 3, 'CT HERSENEN CVA': 1 }, instances: [150, 400], findings: { 'cina-ich': 0.08, 'aspects-ct': 0.15 } },
  { id: 'head-cta', share: 0.007, modality: 'CT', fleet: 'ct', bodyParts: { HEAD: 1, NECK: 1 }, age: [30, 95], contrast: 1, acute: 0.9, requests: { 'CTA HALSVATEN CVA': 1, 'CTA CIRKEL VAN WILLIS BEROERTE': 1 }, instances: [300, 700], findings: { 'cina-lvo': 0.2 } },
  { id: 'chest-ct', share: 0.03, modality: 'CT', fleet: 'ct', bodyParts: { CHEST: 3, CHESTABDOMEN: 2 }, age: [30, 90], contrast: 1, acute: 0.2, requests: { 'CT THORAX': 3, 'CT THORAX ABDOMEN': 2 }, instances: [200, 600], findings: { 'cina-ipe': 0.03, 'lungnod-ct': 0.25 } },
  { id: 'chest-ct-low-dose', share: 0.02, modality: 'CT', fleet: 'ct', bodyParts: { CHEST: 1 }, age: [35, 90], contrast: 0, acute: 0, requests: { 'CT THORAX LAGE DOSIS': 1 }, instances: [200, 400], findings: { 'lungnod-ct': 0.3 } },
  { id: 'trauma-ct', share: 0.006, modality: 'CT', fleet: 'ct', bodyParts: { CHESTABDOMEN: 1 }, age: [16, 95], contrast: 1, acute: 0.95, requests: { 'CT POLYTRAUMA': 1 }, instances: [600, 1200], findings: { 'ribfx-ct': 0.3, 'cina-ipe': 0.01, 'lungnod-ct': 0.1 } },
  { id: 'calcium-ct', share: 0.0035, modality: 'CT', fleet: 'ct', bodyParts: { HEART: 1 }, age: [35, 85], contrast: 0, acute: 0, requests: { 'CT CALCIUMSCORE': 1 }, instances: [40, 80], findings: { 'cac-score': 0.35 } },
  { id: 'coronary-cta', share: 0.0035, modality: 'CT', fleet: 'ct', bodyParts: { HEART: 1 }, age: [30, 85], contrast: 1, acute: 0.05, requests: { 'CCTA CORONAIR': 1 }, instances: [200, 400], findings: { 'ccta-stenosis': 0.25 } },
  { id: 'abdomen-ct', share: 0.03, modality: 'CT', fleet: 'ct', bodyParts: { ABDOMEN: 1 }, age: [18, 95], contrast: 0.8, acute: 0.4, requests: { 'CT ABDOMEN': 1 }, instances: [200, 600], findings: {} },
  { id: 'knee-mr', share: 0.01, modality: 'MR', fleet: 'mr', bodyParts: { KNEE: 1 }, age: [12, 80], contrast: 0, acute: 0, requests: { 'MRI KNIE': 1 }, instances: [150, 300], findings: { 'knee-mr': 0.45 } },
  { id: 'lumbar-mr', share: 0.01, modality: 'MR', fleet: 'mr', bodyParts: { LSPINE: 1 }, age: [18, 90], contrast: 0, acute: 0.05, requests: { 'MRI LWK': 1 }, instances: [150, 300], findings: { 'lumbar-mr': 0.3 } },
  { id: 'brain-mr', share: 0.015, modality: 'MR', fleet: 'mr', bodyParts: { HEAD: 1 }, age: [16, 85], contrast: 0.4, acute: 0.05, requests: { 'MRI HERSENEN': 3, 'MRI HERSENEN MS FOLLOW-UP': 1 }, instances: [200, 500], findings: { 'ms-lesion-mr': 0.2 } },
  { id: 'prostate-mr', share: 0.005, modality: 'MR', fleet: 'mr', bodyParts: { PROSTATE: 1 }, age: [45, 85], sex: 'M', contrast: 0.3, acute: 0, requests: { 'MRI PROSTAAT PSA': 1 }, instances: [200, 400], findings: { 'prostate-mr': 0.35 } },
  { id: 'other-mr', share: 0.02, modality: 'MR', fleet: 'mr', bodyParts: { SHOULDER: 1, ABDOMEN: 1, HIP: 1 }, age: [16, 85], contrast: 0.3, acute: 0, requests: { MRI: 1 }, instances: [150, 400], findings: {} },
  { id: 'mammography', share: 0.04, modality: 'MG', fleet: 'mg', bodyParts: { BREAST: 1 }, age: [35, 85], sex: 'F', contrast: 0, acute: 0, requests: { MAMMOGRAFIE: 1 }, instances: [4, 4], findings: { 'mammo-detect': 0.05, 'mammo-density': 0.4 } },
  { id: 'ultrasound', share: 0.277, modality: 'US', fleet: 'us', bodyParts: { ABDOMEN: 3, NECK: 1, BREAST: 1, KNEE: 1 }, age: [0, 95], contrast: 0, acute: 0.2, requests: { ECHO: 1 }, instances: [10, 40], findings: {} },
];

/** Scanner makes and models per fleet, with their market weight. */
const MODELS: Record<Fleet, [string, string, number][]> = {
  xray: [
    ['Philips', 'DigitalDiagnost C90', 3], ['Philips', 'CombiDiagnost R90', 1], ['Siemens Healthineers', 'Ysio Max', 2], ['Siemens Healthineers', 'Multix Impact', 2],
    ['Agfa', 'DR 600', 3], ['Agfa', 'DX-D 300', 1], ['Fujifilm', 'FDR Visionary', 2], ['Carestream', 'DRX-Evolution Plus', 2], ['GE Healthcare', 'Definium 656', 1], ['Canon Medical Systems', 'RADREX-i', 1],
  ],
  ct: [
    ['Siemens Healthineers', 'SOMATOM Force', 2], ['Siemens Healthineers', 'SOMATOM go.Top', 2], ['Siemens Healthineers', 'NAEOTOM Alpha', 1], ['Philips', 'IQon Spectral CT', 1], ['Philips', 'Incisive CT', 2],
    ['GE Healthcare', 'Revolution CT', 1], ['GE Healthcare', 'Revolution EVO', 2], ['Canon Medical Systems', 'Aquilion ONE PRISM', 1], ['Canon Medical Systems', 'Aquilion Prime SP', 2],
  ],
  mr: [
    ['Siemens Healthineers', 'MAGNETOM Vida', 2], ['Siemens Healthineers', 'MAGNETOM Sola', 2], ['Philips', 'Ingenia Ambition', 2], ['Philips', 'Ingenia Elition X', 1], ['GE Healthcare', 'SIGNA Premier', 1], ['GE Healthcare', 'SIGNA Artist', 1], ['Canon Medical Systems', 'Vantage Orian', 1],
  ],
  mg: [['Hologic', 'Selenia Dimensions', 3], ['Hologic', '3Dimensions', 2], ['Siemens Healthineers', 'MAMMOMAT Revelation', 2], ['GE Healthcare', 'Senographe Pristina', 2], ['Fujifilm', 'AMULET Innovality', 1]],
  us: [['Philips', 'EPIQ Elite', 2], ['GE Healthcare', 'LOGIQ E10', 2], ['Siemens Healthineers', 'ACUSON Sequoia', 1], ['Canon Medical Systems', 'Aplio i800', 1]],
};

/** A hospital of the national network as a workload. */
export interface NationalHospital extends WorkloadHospital {
  kind: 'academic' | 'general';
  /** Studies a year that the platform receives from it. */
  yearly: number;
  /** Share of its studies per kind of examination. */
  mix: Record<string, number>;
  acuteShare: number;
  automaticShare: number;
  /** Its scanners per fleet: `make|model` with the share of the fleet's studies each takes. */
  fleets: Record<Fleet, Record<string, number>>;
}

/** The platform's studies a year across the network (about 80 times the pilot's 157,000). */
export const NATIONAL_STUDIES_PER_YEAR = 12_000_000;

function nationalHospital(h: (typeof NATIONAL_HOSPITALS.hospitals)[number]): NationalHospital {
  const random = new Random(`national|${h.id}|workload`);
  const academic = h.kind === 'academic';
  const yearly = academic ? 250_000 + random.next() * 90_000 : Math.min(330_000, Math.max(60_000, random.logNormal(150_000, 0.35)));
  const raw = Object.fromEntries(KINDS.map((k) => [k.id, k.share * (0.7 + random.next() * 0.6) * (academic && (k.fleet === 'ct' || k.fleet === 'mr') ? 1.3 : 1)]));
  const total = Object.values(raw).reduce((s, v) => s + v, 0);
  const fleets = Object.fromEntries(
    (Object.keys(MODELS) as Fleet[]).map((fleet) => {
      const units = (academic ? 3 : 1) + random.int(academic ? 3 : 3);
      const chosen: Record<string, number> = {};
      for (let i = 0; i < units; i++) {
        const [make, model] = MODELS[fleet][random.int(MODELS[fleet].length)]!;
        const key = `${make}|${model}`;
        chosen[key] = (chosen[key] ?? 0) + 0.5 + random.next();
      }
      return [fleet, chosen];
    }),
  ) as NationalHospital['fleets'];
  const radiologists = Math.round(yearly / 6_000);
  const users = Object.fromEntries(Object.keys(h.products).map((p) => [p, 2 + Math.floor(radiologists * (0.3 + random.next() * 0.5))]));
  return {
    id: h.id,
    kind: h.kind,
    yearly,
    mix: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v / total])),
    acuteShare: 0.45 + random.next() * 0.2,
    automaticShare: 0.75 + random.next() * 0.2,
    fleets,
    users,
  };
}

/** The national network as a workload: every hospital's volume, mix, fleets and readers; the volumes add up to NATIONAL_STUDIES_PER_YEAR. */
export const NATIONAL: { hospitals: NationalHospital[] } = (() => {
  const hospitals = NATIONAL_HOSPITALS.hospitals.map(nationalHospital);
  const scale = NATIONAL_STUDIES_PER_YEAR / hospitals.reduce((s, h) => s + h.yearly, 0);
  return { hospitals: hospitals.map((h) => ({ ...h, yearly: Math.round(h.yearly * scale) })) };
})();

const range = (random: Random, [min, max]: [number, number]) => min + random.next() * (max - min);

/** The studies of one national hospital in one simulated week, in time order: deterministic for the seed, the scenario, the week and the hospital. */
export function nationalStudiesOfWeek(scenario: Scenario, timeline: Timeline, seed: string | number, week: number, hospital: NationalHospital): StudyPlan[] {
  const weekStart = startMs(scenario.start) + week * WEEK_MS;
  const outages = timeline.outages(hospital.id);
  const plans: StudyPlan[] = [];
  for (const kind of KINDS) {
    const random = new Random(`${seed}|${week}|${hospital.id}|${kind.id}`);
    const count = random.poisson(((hospital.yearly * hospital.mix[kind.id]!) / 52) * scenario.volume_factor);
    for (let n = 0; n < count; n++) {
      const acute = random.chance(kind.acute * (hospital.acuteShare / 0.55));
      const day = random.int(acute ? 7 : 5);
      const acquiredAt = weekStart + day * 24 * 3600_000 + dayTime(random, acute);
      const sendMode = random.chance(hospital.automaticShare) ? 'automatic' : 'manual';
      const arrivesAt = arrival(random, acquiredAt, sendMode, outages);
      const [make, model] = random.weighted(hospital.fleets[kind.fleet]).split('|') as [string, string];
      const manufacturer = kind.fleet === 'xray' ? timeline.text('input_mix', hospital.id, undefined, acquiredAt, make) : make;
      const child = kind.child !== undefined && random.chance(kind.child);
      const ageYears = child ? 2 + random.next() * 14 : range(random, kind.age);
      const findings: Partial<Record<ProductId, 'positive' | 'negative'>> = {};
      for (const [product, prevalence] of Object.entries(kind.findings) as [ProductId, number][]) {
        findings[product] = random.chance(timeline.number('positive_rate', hospital.id, product, acquiredAt, prevalence)) ? 'positive' : 'negative';
      }
      const boneAgeYears = kind.id === 'bone-age' ? Math.max(1, ageYears + random.normal(0, 1.2)) : null;
      plans.push({
        id: `${week}-${hospital.id}-${kind.id}-${n}`,
        hospital,
        kind: kind.id,
        acquiredAt,
        arrivesAt,
        sendMode,
        urgency: acute ? 'acute' : 'routine',
        modality: kind.modality === 'XR' ? (random.chance(0.7) ? 'DX' : 'CR') : kind.modality,
        bodyPart: random.weighted(kind.bodyParts),
        ageYears,
        sex: kind.sex ?? (random.chance(0.5) ? 'M' : 'F'),
        manufacturer,
        deviceModel: manufacturer === make ? model : `${manufacturer.split(' ')[0]} DR`,
        contrast: random.chance(kind.contrast),
        description: random.weighted(kind.requests),
        instanceCount: kind.instances[0] + random.int(kind.instances[1] - kind.instances[0] + 1),
        truth: { finding: 'negative', boneAgeYears, findings },
      });
    }
  }
  return plans.sort((a, b) => a.arrivesAt - b.arrivesAt || a.id.localeCompare(b.id));
}

