import { describe, expect, it } from 'vitest';
import { contractsSchema, DEFAULT_CONTRACTS, type Contracts } from './contracts.ts';
import { allocate, computeCosts, contractYearOf, tierCost, type CostRow, type VolumeRow } from './cost-model.ts';

const v = (hospital: string, month: string, inferred: number, viewed = inferred, product = 'bonexpert'): VolumeRow => ({ hospital, product, month, inferred, viewed });
/** Contracts with one product and nothing shared, so the figures are the product's alone. */
const only = (product: Record<string, unknown>, shared: Partial<Record<'platform' | 'implementation', unknown>> = {}): Contracts =>
  contractsSchema.parse({
    products: { bonexpert: { purchase: 'joint', ...product } },
    implementation: { jointCents: 0, individualCents: 0 },
    platform: { yearlyCents: 0, byVolume: 0, individualYearlyCents: 0 },
    ...shared,
  });
const pick = (rows: CostRow[], hospital: string, month: string, product = 'bonexpert') => rows.find((r) => r.hospital === hospital && r.month === month && r.product === product)!;

describe('tiered prices, worked by hand', () => {
  it('prices graduated and all-units tiers', () => {
    const tiers = [{ upTo: 100, cents: 500 }, { upTo: null, cents: 300 }];
    expect(tierCost(110, tiers, 'graduated')).toBe(100 * 500 + 10 * 300);
    expect(tierCost(110, tiers, 'all_units')).toBe(110 * 300);
    expect(tierCost(100, tiers, 'all_units')).toBe(100 * 500);
    expect(tierCost(0, tiers, 'graduated')).toBe(0);
  });

  it('crosses a graduated boundary in February: the month pays the dearer and the cheaper step, the year-to-date split by volume', () => {
    const contracts = only({ price: { model: 'per_study', tiering: 'graduated', tiers: [{ upTo: 100, cents: 500 }, { upTo: null, cents: 300 }] } });
    const { monthly, yearly } = computeCosts([v('a', '2026-01-01', 40), v('b', '2026-01-01', 20), v('a', '2026-02-01', 30), v('b', '2026-02-01', 20)], contracts);
    // January: 60 studies at 5.00 = 300.00, split 40 : 20.
    expect(pick(monthly, 'a', '2026-01-01')).toMatchObject({ joint_cents: 20000, alone_cents: 20000, invoice_cents: 30000, tier: 1 });
    expect(pick(monthly, 'b', '2026-01-01')).toMatchObject({ joint_cents: 10000, invoice_cents: 30000 });
    // By February 110: 100 x 5.00 + 10 x 3.00 = 530.00; a's share 530 x 70/110 = 337.2727 -> 337.27, b's 192.7272 -> 192.73 (the remaining cent).
    expect(pick(monthly, 'a', '2026-02-01')).toMatchObject({ joint_cents: 33727 - 20000, alone_cents: 15000, invoice_cents: 23000, tier: 2, alone_tier: 1 });
    expect(pick(monthly, 'b', '2026-02-01')).toMatchObject({ joint_cents: 19273 - 10000, alone_cents: 10000 });
    const year = (h: string) => yearly.find((y) => y.hospital === h && y.product === 'bonexpert')!;
    expect(year('a')).toMatchObject({ joint_cents: 33727, alone_cents: 35000, invoice_cents: 53000, months: 2, complete: 0 });
    expect(year('b')).toMatchObject({ joint_cents: 19273, alone_cents: 20000 });
  });

  it('crosses an all-units boundary: every unit of the year gets the lower price, a credit in the month it happens', () => {
    const contracts = only({ price: { model: 'per_study', tiering: 'all_units', tiers: [{ upTo: 99, cents: 500 }, { upTo: null, cents: 300 }] } });
    const { monthly } = computeCosts([v('a', '2026-01-01', 60), v('b', '2026-01-01', 30), v('a', '2026-02-01', 10)], contracts);
    // January 90 x 5.00 = 450.00; by February 100 x 3.00 = 300.00: a credit of 150.00, a's year 70/100 of it, b's 30/100.
    expect(pick(monthly, 'a', '2026-01-01')).toMatchObject({ joint_cents: 30000, invoice_cents: 45000 });
    expect(pick(monthly, 'a', '2026-02-01')).toMatchObject({ joint_cents: 21000 - 30000, invoice_cents: -15000, tier: 2 });
    expect(pick(monthly, 'b', '2026-02-01')).toMatchObject({ joint_cents: 9000 - 15000, alone_cents: 0, inferred: 0 });
    // Alone, a reaches 70 (tier 1): 70 x 5.00.
    expect(pick(monthly, 'a', '2026-02-01')).toMatchObject({ alone_cents: 5000, alone_tier: 1 });
  });

  it('tops a licence up to its minimum fee in the last month of a complete year, and not before the year is over', () => {
    const contracts = only({
      price: { model: 'licence', per: 'hospital', tiering: 'all_units', tiers: [{ upTo: 2, cents: 1_200_000 }, { upTo: null, cents: 900_000 }] },
      minimumFeeCents: 3_000_000,
    });
    const months = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}-01`);
    const volumes = months.flatMap((m) => [v('a', m, 5), v('b', m, 1)]);
    const done = computeCosts(volumes, contracts, { openMonth: '2027-01-01' });
    // Two licences at 12,000.00 = 24,000.00 a year, 2,000.00 a month; topped up to 30,000.00 in December.
    expect(pick(done.monthly, 'a', '2026-06-01')).toMatchObject({ joint_cents: 100_000, invoice_cents: 200_000, alone_cents: 100_000 });
    expect(pick(done.monthly, 'a', '2026-12-01').invoice_cents).toBe(3_000_000 - 11 * 200_000);
    const year = done.yearly.find((y) => y.hospital === 'a' && y.product === 'bonexpert')!;
    // Shared by licence months (equal here), whatever the volume; alone each hospital pays the minimum.
    expect(year).toMatchObject({ joint_cents: 1_500_000, alone_cents: 3_000_000, invoice_cents: 3_000_000, complete: 1, months: 12 });
    const open = computeCosts(volumes, contracts);
    expect(open.yearly.find((y) => y.hospital === 'a' && y.product === 'bonexpert')).toMatchObject({ joint_cents: 1_200_000, invoice_cents: 2_400_000, complete: 0 });
  });

  it('lets a hospital join in July: its implementation then, the platform shared from then on, its volume counted from then', () => {
    const contracts = only(
      { price: { model: 'per_study', tiering: 'graduated', tiers: [{ upTo: 80, cents: 100 }, { upTo: null, cents: 50 }] } },
      { platform: { yearlyCents: 1_200_000, byVolume: 0.5, individualYearlyCents: 600_000 }, implementation: { jointCents: 10_000, individualCents: 30_000 } },
    );
    const months = Array.from({ length: 8 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}-01`);
    const volumes = [...months.map((m) => v('a', m, 10)), v('c', '2026-07-01', 10), v('c', '2026-08-01', 10)];
    const { monthly } = computeCosts(volumes, contracts, { openMonth: '2026-09-01' });
    expect(monthly.filter((r) => r.hospital === 'c').map((r) => r.month)).toEqual(['2026-07-01', '2026-08-01', '2026-07-01', '2026-08-01']);
    // Year to date by July: 70 studies at 1.00 = 70.00, split 60 : 10; by August 100: 80.00 + 20 x 0.50 = 90.00, split 80 : 20.
    expect(pick(monthly, 'a', '2026-07-01')).toMatchObject({ joint_cents: 7000 - 6000, invoice_cents: 2000 });
    expect(pick(monthly, 'c', '2026-07-01')).toMatchObject({ joint_cents: 1000, alone_cents: 1000 });
    expect(pick(monthly, 'c', '2026-08-01')).toMatchObject({ joint_cents: 1800 - 1000, tier: 2, alone_tier: 1 });
    // The platform (1,000.00 a month): all a's until June, half each from July (equal volumes), plus c's implementation in July.
    expect(pick(monthly, 'a', '2026-06-01', '')).toMatchObject({ joint_cents: 100_000, alone_cents: 50_000, invoice_cents: 100_000 });
    expect(pick(monthly, 'a', '2026-01-01', '')).toMatchObject({ joint_cents: 100_000 + 10_000, alone_cents: 50_000 + 30_000 });
    expect(pick(monthly, 'c', '2026-07-01', '')).toMatchObject({ joint_cents: 50_000 + 10_000, alone_cents: 50_000 + 30_000, invoice_cents: 110_000 });
    expect(pick(monthly, 'c', '2026-08-01', '')).toMatchObject({ joint_cents: 50_000, alone_cents: 50_000 });
  });
});

describe('allocations', () => {
  it('split a total into whole cents that add up to it', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocate(7, [0, 0])).toEqual([4, 3]);
    expect(allocate(1000, [0.1, 0.2, 0.7])).toEqual([100, 200, 700]);
    // Fractional weights (the platform's mix of volume and equal shares): exact sums, each part within a cent of its quota.
    let x = 3;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 2000; round++) {
      const weights = Array.from({ length: 1 + Math.floor(rand() * 70) }, () => 0.5 * rand() + 0.5 / 7);
      const total = Math.floor(rand() * 30_000_000);
      const parts = allocate(total, weights);
      const sum = weights.reduce((a, b) => a + b, 0);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
      parts.forEach((p, i) => expect(Math.abs(p - (total * weights[i]!) / sum)).toBeLessThan(1));
    }
  });

  it('reconcile with the invoice to the cent, per product and month, over random networks', () => {
    for (let seed = 1; seed <= 30; seed++) {
      let x = seed;
      const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const volumes: VolumeRow[] = [];
      const hospitals = 2 + Math.floor(rand() * 6);
      for (let h = 0; h < hospitals; h++) {
        const join = Math.floor(rand() * 10);
        for (let m = join; m < 18; m++) {
          for (const product of ['bonexpert', 'rbfracture', 'cina-ipe']) {
            const month = `${2026 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;
            volumes.push(v(`h${h}`, month, Math.floor(rand() * 3000), Math.floor(rand() * 1000), product));
          }
        }
      }
      const { monthly, yearly } = computeCosts(volumes, DEFAULT_CONTRACTS);
      const invoices = new Map<string, { sum: number; invoice: number }>();
      for (const r of monthly) {
        expect(Number.isInteger(r.joint_cents) && Number.isInteger(r.alone_cents), `seed ${seed}`).toBe(true);
        const key = `${r.product}|${r.month}`;
        const i = invoices.get(key) ?? { sum: 0, invoice: r.invoice_cents };
        i.sum += r.joint_cents;
        expect(r.invoice_cents, `seed ${seed} ${key}`).toBe(i.invoice);
        invoices.set(key, i);
      }
      for (const [key, i] of invoices) expect(i.sum, `seed ${seed} ${key}`).toBe(i.invoice);
      const years = new Map<string, { sum: number; invoice: number }>();
      for (const y of yearly) {
        const key = `${y.product}|${y.contract_year}`;
        const i = years.get(key) ?? { sum: 0, invoice: y.invoice_cents };
        i.sum += y.joint_cents;
        years.set(key, i);
      }
      for (const [key, i] of years) expect(i.sum, `seed ${seed} ${key}`).toBe(i.invoice);
      // Tiers fall with volume: nobody pays more jointly than alone over a year.
      for (const y of yearly.filter((r) => r.product !== '')) expect(y.joint_cents, `seed ${seed} ${y.hospital} ${y.product} ${y.contract_year}`).toBeLessThanOrEqual(y.alone_cents);
    }
  });

  it('puts a month in the contract year that starts in the configured month', () => {
    expect(contractYearOf('2026-03-01', 4)).toBe('2025-04-01');
    expect(contractYearOf('2026-04-01', 4)).toBe('2026-04-01');
    expect(contractYearOf('2026-12-01', 1)).toBe('2026-01-01');
  });
});

describe('other price models', () => {
  it('prices a licence per site, and a product bought by each hospital alone', () => {
    const perSite = contractsSchema.parse({
      products: { bonexpert: { purchase: 'joint', price: { model: 'licence', per: 'site', tiering: 'graduated', tiers: [{ upTo: 2, cents: 120_000 }, { upTo: null, cents: 60_000 }] } } },
      implementation: { jointCents: 0, individualCents: 0 },
      platform: { yearlyCents: 0, byVolume: 0, individualYearlyCents: 0 },
      sites: { a: 3 },
    });
    const { monthly } = computeCosts([v('a', '2026-01-01', 1), v('b', '2026-01-01', 1)], perSite);
    // Four licences, graduated: 2 x 1,200.00 + 2 x 600.00 = 3,600.00 a year, 300.00 a month; a has three of the four.
    expect(pick(monthly, 'a', '2026-01-01')).toMatchObject({ invoice_cents: 30_000, joint_cents: 22_500, tier: 2 });
    // Alone: a's three sites 1,200 + 1,200 + 600 = 3,000.00 a year; b's one 1,200.00.
    expect(pick(monthly, 'a', '2026-01-01').alone_cents).toBe(25_000);
    expect(pick(monthly, 'b', '2026-01-01')).toMatchObject({ joint_cents: 7_500, alone_cents: 10_000 });
    const individual = only({ purchase: 'individual', price: { model: 'per_study', tiering: 'all_units', tiers: [{ upTo: 99, cents: 500 }, { upTo: null, cents: 300 }] } });
    const alone = computeCosts([v('a', '2026-01-01', 60), v('b', '2026-01-01', 60)], individual).monthly;
    // Each at its own tier (60 studies: 5.00), the invoice their sum: no network discount.
    expect(pick(alone, 'a', '2026-01-01')).toMatchObject({ joint_cents: 30_000, alone_cents: 30_000, invoice_cents: 60_000, tier: 1 });
  });
});
