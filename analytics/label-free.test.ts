import { describe, expect, it } from 'vitest';
import { Random } from '../vendors/index.ts';
import { labelFreeMonitors, labelFreeRows, type LabelFreeDay } from './label-free.ts';
import { DEFAULT_SETTINGS } from './norms.ts';

/** Thirty weeks of daily counts of one monitor, its positive share, scores and scanner mix shifting after week 18. */
function days(seed: string): LabelFreeDay[] {
  const random = new Random(seed);
  const start = Date.parse('2026-01-07T00:00:00Z');
  return Array.from({ length: 30 * 7 }, (_, i) => i)
    .filter(() => random.next() > 0.1)
    .map((i) => {
      const shifted = i >= 18 * 7;
      const n = random.int(40);
      const positives = Array.from({ length: n }, () => random.next() < (shifted ? 0.45 : 0.3)).filter(Boolean).length;
      const bins = [...new Set(Array.from({ length: n }, () => Math.min(100, Math.floor(random.next() * (shifted ? 80 : 100)))))].sort((a, b) => a - b);
      const makes = shifted ? ['manufacturer=A', 'manufacturer=C'] : ['manufacturer=A', 'manufacturer=B'];
      return {
        hospital: 'h',
        product: 'p',
        model_version: '1',
        day: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
        n,
        positives,
        score_bins: bins,
        score_counts: bins.map(() => 1 + random.int(3)),
        mix_keys: [...makes, 'body_part=chest', 'age_band=40-64'],
        mix_counts: [random.int(n + 1), random.int(n + 1), n, n],
      };
    });
}

describe('label-free monitors from a checkpoint', () => {
  it('give the rows and later checkpoints of a run over every day, from the reference days and the days from the checkpoint week on', () => {
    for (const seed of ['a', 'b', 'c']) {
      const all = days(seed);
      const full = labelFreeMonitors(all, DEFAULT_SETTINGS)!;
      expect(full.rows).toEqual(labelFreeRows(all, DEFAULT_SETTINGS));
      expect(full.rows.some((r) => r.status === 'alarm'), seed).toBe(true);
      expect(full.checkpoints.length).toBeGreaterThan(20);
      const referenceEnd = '2026-02-02'; // the Monday four weeks after the first day's week
      for (const cp of full.checkpoints) {
        const needed = all.filter((d) => d.day < referenceEnd || d.day >= cp.week);
        const resumed = labelFreeMonitors(needed, DEFAULT_SETTINGS, cp.state)!;
        expect(resumed.rows, `${seed} from ${cp.week}`).toEqual(full.rows);
        expect(resumed.checkpoints).toEqual(full.checkpoints.filter((c) => c.week > cp.week));
      }
    }
  });

  it('do not resume a checkpoint of another reference', () => {
    const all = days('d');
    const cp = labelFreeMonitors(all, DEFAULT_SETTINGS)!.checkpoints[5]!;
    const changed = all.map((d, i) => (i === 3 ? { ...d, positives: d.positives === 0 ? 1 : 0 } : d));
    expect(labelFreeMonitors(changed, DEFAULT_SETTINGS, cp.state)).toBeNull();
  });
});
