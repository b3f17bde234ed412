import type { ProductId } from '../events/index.ts';
import type { Change, Scenario } from './scenario.ts';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export const startMs = (start: string) => Date.parse(start.length === 10 ? `${start}T00:00:00.000Z` : start);

/** The value of what the scenario changes, for one hospital and product at one time. */
export class Timeline {
  private readonly changes: (Change & { at: number })[];

  constructor(readonly scenario: Scenario) {
    this.changes = scenario.changes.map((c) => ({ ...c, at: startMs(c.start) })).sort((a, b) => a.at - b.at);
  }

  private applicable(what: Change['what'], hospital: string, product: ProductId | undefined, t: number) {
    return this.changes.filter((c) => c.what === what && c.at <= t && (!c.hospital || c.hospital === hospital) && (!c.product || !product || c.product === product));
  }

  /** A numeric setting: the baseline, moved by each change in force (linearly over its ramp). */
  number(what: 'sensitivity' | 'specificity' | 'positive_rate' | 'latency' | 'adoption', hospital: string, product: ProductId | undefined, t: number, baseline: number): number {
    let value = baseline;
    for (const c of this.applicable(what, hospital, product, t)) {
      const to = Number(c.to);
      const progress = c.ramp_weeks > 0 ? Math.min(1, (t - c.at) / (c.ramp_weeks * WEEK_MS)) : 1;
      value = value + (to - value) * progress;
    }
    return value;
  }

  /** A text setting (model version, scanner make): the last change in force, or the baseline. */
  text(what: 'model_version' | 'input_mix', hospital: string, product: ProductId | undefined, t: number, baseline: string): string {
    const last = this.applicable(what, hospital, product, t).at(-1);
    return last ? String(last.to) : baseline;
  }

  /** Whether a product is live at a hospital at a time: always, unless a go_live change says from when. */
  live(hospital: string, product: ProductId, t: number): boolean {
    const goLive = this.changes.filter((c) => c.what === 'go_live' && (!c.hospital || c.hospital === hospital) && (!c.product || c.product === product));
    return goLive.length === 0 || goLive.some((c) => c.at <= t);
  }

  /** The gateway outages of a hospital, as [start, end) in ms. */
  outages(hospital: string): [number, number][] {
    return this.changes.filter((c) => c.what === 'outage' && (!c.hospital || c.hospital === hospital)).map((c) => [c.at, c.at + (c.hours ?? 1) * 3600_000]);
  }

  /** When each change starts, for the truth file. */
  onsets(): { hospital: string | null; product: string | null; what: string; to: string | number; at: string; ramp_weeks: number }[] {
    return this.changes.map((c) => ({ hospital: c.hospital ?? null, product: c.product ?? null, what: c.what, to: c.to, at: new Date(c.at).toISOString(), ramp_weeks: c.ramp_weeks }));
  }
}
