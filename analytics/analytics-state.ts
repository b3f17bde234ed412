import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { AnalyticsSettings } from './norms.ts';

/** Where one step of the analytics got to, kept in ClickHouse so that a restart goes on from there. */
export interface StepState {
  watermark: string;
  settings: string;
}

/** A ClickHouse DateTime64(3) literal of a time in ms (UTC). */
export const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
export const parseChTime = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

/** The settings a step counted with, as a short digest: a different one means a rebuild. */
export function settingsDigest(settings: AnalyticsSettings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

export async function readStates(store: Store): Promise<Map<string, StepState>> {
  const rows = await store.query<{ step: string; watermark: string; settings: string }>('SELECT step, toString(watermark) AS watermark, settings FROM analytics_state FINAL');
  return new Map(rows.map((r) => [r.step, { watermark: r.watermark, settings: r.settings }]));
}

export async function writeStates(store: Store, states: Map<string, StepState>): Promise<void> {
  if (states.size === 0) return;
  const updatedAt = chTime(Date.now());
  await store.insert('analytics_state', [...states].map(([step, s]) => ({ step, watermark: s.watermark, settings: s.settings, updated_at: updatedAt })));
}

/** Forgets every step's state: the next run rebuilds everything. */
export async function forgetStates(store: Store): Promise<void> {
  await store.exec('TRUNCATE TABLE analytics_state');
}
