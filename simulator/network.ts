import { NATIONAL_HOSPITALS, PILOT_HOSPITALS, type HospitalsFile } from '../orchestrator/index.ts';
import { NATIONAL, nationalStudiesOfWeek } from './national.ts';
import { PILOT, type WorkloadHospital } from './pilot.ts';
import type { Scenario } from './scenario.ts';
import type { Timeline } from './timeline.ts';
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
  return NETWORKS[scenario.network];
}

/**
 * The studies of a simulated week across the scenario's network, in time
 * order: deterministic for the seed, the scenario and the week.
 */
export function studiesOfWeek(scenario: Scenario, timeline: Timeline, seed: string | number, week: number): StudyPlan[] {
  if (scenario.network === 'pilot') return pilotStudiesOfWeek(scenario, timeline, seed, week);
  const network = networkOf(scenario);
  const plans = network.workload.flatMap((h) => network.studiesOfHospitalWeek(scenario, timeline, seed, week, h.id));
  return plans.sort((a, b) => a.arrivesAt - b.arrivesAt || a.id.localeCompare(b.id));
}
