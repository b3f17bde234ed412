import { NATIONAL_HOSPITALS, PILOT_HOSPITALS, type HospitalsFile } from '../orchestrator/index.ts';
import { NATIONAL, nationalStudiesOfWeek } from './national.ts';
import { PILOT, type PilotHospital, type WorkloadHospital } from './pilot.ts';
import type { Scenario } from './scenario.ts';
import { startMs, type Timeline } from './timeline.ts';
import { pilotStudiesOfWeek, type StudyPlan } from './workload.ts';

/** The hospitals a scenario simulates: their configuration (contracts, PACS delivery) and their workload. */
export interface Network {
  name: Scenario['network'];
  hospitals: HospitalsFile;
  workload: WorkloadHospital[];
  /** The studies of one hospital in one week, in time order. */
  studiesOfHospitalWeek: (scenario: Scenario, timeline: Timeline, seed: string | number, week: number, hospital: string) => StudyPlan[];
}

const national = new Map(NATIONAL.hospitals.map((h) => [h.id, h]));

const NETWORKS: Record<Scenario['network'], Network> = {
  pilot: { name: 'pilot', hospitals: PILOT_HOSPITALS, workload: PILOT.hospitals, studiesOfHospitalWeek: (s, t, seed, week, h) => pilotStudiesOfWeek(s, t, seed, week, h) },
  national: {
    name: 'national',
    hospitals: NATIONAL_HOSPITALS,
    workload: NATIONAL.hospitals,
    studiesOfHospitalWeek: (s, t, seed, week, h) => nationalStudiesOfWeek(s, t, seed, week, national.get(h)!),
  },
};

export function networkOf(scenario: Scenario): Network {
  return scenario.network === 'pilot' && scenario.joining.length > 0 ? largerPilot(scenario) : NETWORKS[scenario.network];
}

/** The pilot with the scenario's joining hospitals, each a copy of a pilot hospital under its own id and AE titles. */
function largerPilot(scenario: Scenario): Network {
  const workload: PilotHospital[] = [...PILOT.hospitals];
  const configs = [...PILOT_HOSPITALS.hospitals];
  scenario.joining.forEach((j, i) => {
    const like = PILOT.hospitals.find((h) => h.id === j.like);
    const config = PILOT_HOSPITALS.hospitals.find((h) => h.id === j.like);
    if (!like || !config) throw new Error(`scenario joining.${i}.like: no pilot hospital ${j.like} (one of ${PILOT.hospitals.map((h) => h.id).join(', ')})`);
    if (workload.some((h) => h.id === j.id)) throw new Error(`scenario joining.${i}.id: ${j.id} is already in the network`);
    workload.push({ ...like, id: j.id, ...(j.from ? { fromMs: startMs(j.from) } : {}) });
    const aeTitles = Object.fromEntries(Object.values(config.aeTitles).map((mode, k) => [`JOIN${i + 1}_PACS${k + 1}`, mode]));
    configs.push({ ...config, id: j.id, name: `${j.id} (joining, like ${config.name})`, aeTitles });
  });
  return { name: 'pilot', hospitals: { hospitals: configs }, workload, studiesOfHospitalWeek: (s, t, seed, week, h) => pilotStudiesOfWeek(s, t, seed, week, h, workload) };
}

/**
 * The studies of a simulated week across the scenario's network, in time
 * order: deterministic for the seed, the scenario and the week.
 */
export function studiesOfWeek(scenario: Scenario, timeline: Timeline, seed: string | number, week: number): StudyPlan[] {
  if (scenario.network === 'pilot') return pilotStudiesOfWeek(scenario, timeline, seed, week, undefined, networkOf(scenario).workload as PilotHospital[]);
  const network = networkOf(scenario);
  const plans = network.workload.flatMap((h) => network.studiesOfHospitalWeek(scenario, timeline, seed, week, h.id));
  return plans.sort((a, b) => a.arrivesAt - b.arrivesAt || a.id.localeCompare(b.id));
}
