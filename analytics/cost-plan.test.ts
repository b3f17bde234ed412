import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/index.ts';
import { contractsSchema } from './contracts.ts';
import { loadPlanFile, planCosts } from './cost-plan.ts';
import type { VolumeRow } from './cost-model.ts';

const months = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}-01`);
const volumes: VolumeRow[] = months.flatMap((month) => [
  { hospital: 'a', product: 'bonexpert', month, inferred: 10, viewed: 5 },
  { hospital: 'b', product: 'bonexpert', month, inferred: 30, viewed: 30 },
]);
const contracts = contractsSchema.parse({
  products: {
    bonexpert: { purchase: 'joint', price: { model: 'per_study', tiering: 'all_units', tiers: [{ upTo: 599, cents: 100 }, { upTo: null, cents: 50 }] } },
    rbfracture: { purchase: 'joint', price: { model: 'licence', per: 'hospital', tiering: 'all_units', tiers: [{ upTo: null, cents: 120_000 }] } },
  },
  implementation: { jointCents: 0, individualCents: 0 },
  platform: { yearlyCents: 0, byVolume: 0, individualYearlyCents: 0 },
});

describe('the cost plan, worked by hand', () => {
  it('adds hospitals by size class, from a month, and products by volume, against today', () => {
    // Today 480 studies a year at 1.00 (tier 1); a small hospital (like a, 120 a year) from July adds 60: 540, still tier 1.
    const small = planCosts(volumes, contracts, [{ id: 'c', size: 'small', from: '2026-07' }]);
    expect(small.today.products).toEqual([{ product: 'bonexpert', studies: 480, used: 420, tier: 1, invoice_eur: 480 }]);
    expect(small.plan.products[0]).toMatchObject({ studies: 540, tier: 1, invoice_eur: 540 });
    // A large one (like b, 360) for the whole year: 840 at 0.50 for all.
    const large = planCosts(volumes, contracts, [{ id: 'c', size: 'large' }]);
    expect(large.plan.products[0]).toMatchObject({ studies: 840, tier: 2, invoice_eur: 420 });
    expect(large.plan.hospitals.find((h) => h.hospital === 'a')).toMatchObject({ joint_eur: 60, alone_eur: 120, saving_eur: 60, eur_per_study: 0.5 });
    // A product added to a by its yearly volume: its licence (1,200.00) is the plan's.
    const more = planCosts(volumes, contracts, [{ id: 'a', volumes: { rbfracture: { studies: 1200, used: 600 } } }]);
    expect(more.plan.products.find((p) => p.product === 'rbfracture')).toMatchObject({ studies: 1200, used: 600, invoice_eur: 1200 });
    expect(more.plan.hospitals.find((h) => h.hospital === 'a')).toMatchObject({ joint_eur: 120 + 1200, eur_per_used: Math.round((132_000 / 660)) / 100 });
    expect(() => planCosts(volumes, contracts, [{ id: 'a', volumes: { 'cina-ipe': { studies: 1, used: 1 } } }])).toThrow(/no contract prices cina-ipe/);
    expect(() => planCosts(volumes, contracts, [{ id: 'b', like: 'a' }])).toThrow(/b is already in the network/);
  });

  it('reads a hospitals file and names each bad entry', () => {
    const dir = tempDir('plan');
    try {
      const file = `${dir.path}/plan.json`;
      writeFileSync(file, JSON.stringify({ hospitals: [{ id: 'c', like: 'a', size: 'large' }, { id: 'D', volumes: { xray: { studies: -1 } } }] }));
      expect(() => loadPlanFile(file)).toThrow(/hospitals\.0: give exactly one of like, size or volumes[\s\S]*hospitals\.1\.id: must be a lower-case slug/);
      writeFileSync(file, JSON.stringify({ hospitals: [{ id: 'c', like: 'b', from: '2026-04' }] }));
      expect(loadPlanFile(file)).toEqual([{ id: 'c', like: 'b', from: '2026-04' }]);
    } finally {
      dir.remove();
    }
  });
});
