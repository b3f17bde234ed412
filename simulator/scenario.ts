import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';
import { PRODUCT_IDS } from '../events/index.ts';

const date = z.iso.date({ error: 'must be a date, YYYY-MM-DD' });

/**
 * One change to the pilot from a date on. `what` says what changes; `to` is the
 * new value (a probability for sensitivity, specificity and positive_rate; a
 * factor for latency and adoption; a scanner make for input_mix; for go_live,
 * `to` is unused: before its start the product runs unseen at the hospital,
 * its results neither delivered nor viewed, the backfill's shadow mode). With
 * `ramp_weeks` the change creeps in linearly instead of at once.
 */
export const change = z.strictObject({
  hospital: z.string().optional(),
  product: z.enum(PRODUCT_IDS).optional(),
  what: z.enum(['sensitivity', 'specificity', 'positive_rate', 'latency', 'input_mix', 'adoption', 'model_version', 'outage', 'go_live']),
  /** The value before (documentation; the simulator knows its baseline). */
  from: z.union([z.number(), z.string()]).optional(),
  to: z.union([z.number(), z.string()]),
  /** A date (midnight UTC) or an ISO-8601 UTC time. */
  start: z.string().refine((v) => date.safeParse(v).success || z.iso.datetime().safeParse(v).success, {
    error: 'must be a date (YYYY-MM-DD) or an ISO-8601 UTC time',
  }),
  ramp_weeks: z.number().min(0).max(52).default(0),
  /** For an outage: how long the gateway is down. */
  hours: z.number().min(0).max(24 * 14).optional(),
  note: z.string().optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** The hospitals and their workload: the five of the pilot, or the national network of 70. */
  network: z.enum(['pilot', 'national']).default('pilot'),
  /** The first day of the simulated pilot (a Monday is customary). */
  start: date.default('2026-01-05'),
  /** Studies per week are the pilot's volumes times this. */
  volume_factor: z.number().min(0.01).max(1000).default(1),
  changes: z.array(change).default([]),
  /**
   * Pilot network only: hospitals that join it, each with the workload and
   * contracts of a pilot hospital (`like`), from a date on (from the start when
   * not given). What a larger network would measure.
   */
  joining: z
    .array(z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be a lower-case slug' }), like: z.string().min(1), from: date.optional() }))
    .max(20)
    .default([]),
});

export type Change = z.infer<typeof change>;
export type Scenario = z.infer<typeof scenarioSchema>;

const BUILT_IN = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

export function builtInScenarios(): string[] {
  return readdirSync(BUILT_IN)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/** A built-in scenario by name, or a scenario file by path; validated, with every problem named. */
export function loadScenario(nameOrFile: string): Scenario {
  const builtIn = join(BUILT_IN, `${nameOrFile}.json`);
  const path = existsSync(builtIn) ? builtIn : nameOrFile;
  if (!existsSync(path)) throw new Error(`no scenario ${nameOrFile}: give a file or one of ${builtInScenarios().join(', ')}`);
  return readJsonFile(path, scenarioSchema, 'scenario file');
}

/** The same scenario moved in time so that it starts at `start` (a date); its changes move with it. */
export function shiftScenario(scenario: Scenario, start: string): Scenario {
  const at = (s: string) => Date.parse(s.length === 10 ? `${s}T00:00:00.000Z` : s);
  const delta = at(start) - at(scenario.start);
  const move = (s: string) => {
    const moved = new Date(at(s) + delta).toISOString();
    return s.length === 10 ? moved.slice(0, 10) : moved;
  };
  return { ...scenario, start, changes: scenario.changes.map((c) => ({ ...c, start: move(c.start) })) };
}

/** The Monday `weeks` weeks before the week of `now`, as YYYY-MM-DD. */
export function mondayWeeksAgo(weeks: number, now = Date.now()): string {
  const day = new Date(now);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  const monday = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - sinceMonday - weeks * 7);
  return new Date(monday).toISOString().slice(0, 10);
}
