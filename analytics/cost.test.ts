import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario, type Truth } from '../simulator/index.ts';
import type { EmbeddedStore } from '../store/index.ts';
import { loadSimulation, migratedStore } from '../testing/index.ts';
import { contractsSchema, DEFAULT_CONTRACTS, planCosts, readReport, readVolumes, runAnalytics, type Contracts } from './index.ts';

let store: EmbeddedStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await migratedStore('cost'));
});
afterAll(() => close());

/** The simulation runs at 5 % of the pilot's volume: the volume tiers of the assumed contracts are scaled alike (licences count hospitals and are not). */
const VOLUME = 0.05;
const CONTRACTS: Contracts = contractsSchema.parse({
  ...DEFAULT_CONTRACTS,
  products: {
    ...DEFAULT_CONTRACTS.products,
    bonexpert: { ...DEFAULT_CONTRACTS.products.bonexpert, price: { model: 'per_study', tiering: 'graduated', tiers: [{ upTo: 100, cents: 600 }, { upTo: 500, cents: 450 }, { upTo: null, cents: 300 }] } },
    rbfracture: { ...DEFAULT_CONTRACTS.products.rbfracture, price: { model: 'per_study', tiering: 'all_units', tiers: [{ upTo: 999, cents: 250 }, { upTo: 2499, cents: 200 }, { upTo: null, cents: 150 }] } },
  },
});
const YEAR = '2026-01-01';

interface Year {
  hospital: string;
  product: string;
  contract_year: string;
  complete: boolean;
  inferred: number;
  viewed: number;
  joint_eur: number;
  alone_eur: number;
  saving_eur: number;
  invoice_eur: number;
  tier: number;
}

async function simulate(scenario: Scenario): Promise<{ truth: Truth; cost: Year[] }> {
  // 52 weeks from Monday 5 January 2026: the 2026 contract year is whole, and January 2027 has begun.
  const truth = await loadSimulation(store, { ...scenario, volume_factor: VOLUME }, 'cost', 52);
  await runAnalytics(store, { jobs: ['adoption', 'cost'], contracts: CONTRACTS, settleMs: 0 });
  return { truth, cost: (await readReport(store, 'lead')).cost as unknown as Year[] };
}

const hospitalYear = (cost: Year[], hospital: string) => {
  const rows = cost.filter((r) => r.hospital === hospital && r.contract_year === YEAR);
  const sum = (f: (r: Year) => number) => Math.round(rows.reduce((s, r) => s + f(r), 0) * 100) / 100;
  return { joint: sum((r) => r.joint_eur), alone: sum((r) => r.alone_eur), saving: sum((r) => r.saving_eur) };
};

describe('cost on the simulated pilot', () => {
  it('counts what the simulator made, reconciles to the cent, costs every hospital less jointly, and grows the saving when a sixth hospital joins as planned', async () => {
    const stable = loadScenario('stable');
    const five = await simulate(stable);
    const hospitals = [...new Set(five.cost.map((r) => r.hospital))].sort();
    expect(hospitals).toEqual(['catharina', 'gelre', 'radboudumc', 'rivierenland', 'zgt']);
    // Studies inferred and results used, over all months, are the simulator's eligible and viewed studies.
    for (const h of hospitals) {
      for (const product of ['bonexpert', 'rbfracture', 'cina-ipe']) {
        const truth = five.truth.rates.filter((r) => r.hospital === h && r.product === product);
        const rows = five.cost.filter((r) => r.hospital === h && r.product === product);
        expect(rows.reduce((s, r) => s + r.inferred, 0), `${h} ${product}`).toBe(truth.reduce((s, r) => s + r.eligible, 0));
        expect(rows.reduce((s, r) => s + r.viewed, 0), `${h} ${product}`).toBe(truth.reduce((s, r) => s + r.viewed, 0));
      }
    }
    // Every product x month and product x year: the hospitals' allocations are the invoice, to the cent.
    const unreconciled = await store.query(
      `SELECT product, month, sum(joint_cents) AS allocated, any(invoice_cents) AS invoice, uniqExact(invoice_cents) AS invoices FROM cost_monthly FINAL
       GROUP BY product, month HAVING allocated != invoice OR invoices != 1`,
    );
    expect(unreconciled).toEqual([]);
    expect(await store.query(`SELECT product, contract_year FROM cost_yearly FINAL GROUP BY product, contract_year HAVING sum(joint_cents) != any(invoice_cents)`)).toEqual([]);
    const year = five.cost.filter((r) => r.contract_year === YEAR);
    expect(year.every((r) => r.complete)).toBe(true);
    // The tiers fall with volume: jointly, every hospital pays less, product by product and in all.
    for (const r of year) expect(r.joint_eur, `${r.hospital} ${r.product}`).toBeLessThanOrEqual(r.alone_eur);
    for (const h of hospitals) expect(hospitalYear(five.cost, h).saving, h).toBeGreaterThan(0);

    // The plan: a sixth hospital like Gelre, from the five hospitals' measured volumes.
    const plan = planCosts(await readVolumes(store), CONTRACTS, [{ id: 'hospital-6', like: 'gelre' }]);
    expect(plan).toMatchObject({ contract_year: YEAR, months: 12 });
    for (const h of hospitals) {
      const today = plan.today.hospitals.find((x) => x.hospital === h)!;
      expect(today.joint_eur, h).toBeCloseTo(hospitalYear(five.cost, h).joint, 2);
    }

    // The simulation that really adds it.
    const six = await simulate({ ...stable, joining: [{ id: 'hospital-6', like: 'gelre' }] });
    expect(new Set(six.cost.map((r) => r.hospital)).size).toBe(6);
    for (const h of hospitals) {
      const before = hospitalYear(five.cost, h);
      const after = hospitalYear(six.cost, h);
      expect(after.alone, h).toBe(before.alone);
      expect(after.saving, h).toBeGreaterThan(before.saving);
      // The plan's cost for the hospital is the simulated one within 2 % (the sixth hospital's own volumes differ by chance).
      const planned = plan.plan.hospitals.find((x) => x.hospital === h)!;
      expect(Math.abs(planned.joint_eur - after.joint) / after.joint, h).toBeLessThan(0.02);
      expect(planned.saving_eur, h).toBeGreaterThan(before.saving);
    }
    const sixth = plan.plan.hospitals.find((x) => x.hospital === 'hospital-6')!;
    expect(Math.abs(sixth.joint_eur - hospitalYear(six.cost, 'hospital-6').joint) / sixth.joint_eur).toBeLessThan(0.05);
    for (const p of plan.plan.products) {
      const simulated = six.cost.filter((r) => r.product === p.product && r.contract_year === YEAR);
      const studies = simulated.reduce((s, r) => s + r.inferred, 0);
      expect(Math.abs(p.studies - studies) / studies, p.product).toBeLessThan(0.05);
      expect(p.tier, p.product).toBe(simulated[0]!.tier);
    }
    // The licence reaches its six-hospital tier.
    expect(plan.plan.products.find((p) => p.product === 'cina-ipe')!.tier).toBe(3);
    expect(plan.today.products.find((p) => p.product === 'cina-ipe')!.tier).toBe(2);
  }, 300_000);
});
