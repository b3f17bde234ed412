import type { Contracts, Price, ProductContract, Tier } from './contracts.ts';

/** What was measured: per hospital x product x month (YYYY-MM-01), the studies inferred and the results used (viewed). */
export interface VolumeRow {
  hospital: string;
  product: string;
  month: string;
  inferred: number;
  viewed: number;
}

/**
 * A cost result, in integer cents. `joint`: the hospital's allocation of the
 * network's invoice; `alone`: what the same hospital would pay by itself;
 * `invoice`: the network's invoice for the product in that month (the
 * allocations of all hospitals add up to it exactly). product '' holds the
 * hospital's shared costs: its share of the platform and its implementation.
 */
export interface CostRow {
  hospital: string;
  product: string;
  month: string;
  contract_year: string;
  inferred: number;
  viewed: number;
  joint_cents: number;
  alone_cents: number;
  invoice_cents: number;
  tier: number;
  alone_tier: number;
}

export interface YearRow extends Omit<CostRow, 'month'> {
  months: number;
  complete: number;
}

/** Cost of `units` under tiers: graduated (each unit at its step's rate) or all-units (all at the rate the total reaches). */
export function tierCost(units: number, tiers: Tier[], tiering: 'graduated' | 'all_units'): number {
  if (tiering === 'all_units') return units * tiers[tierOf(units, tiers) - 1]!.cents;
  let cost = 0;
  let below = 0;
  for (const t of tiers) {
    const top = t.upTo ?? Infinity;
    if (units <= below) break;
    cost += (Math.min(units, top) - below) * t.cents;
    below = top;
  }
  return cost;
}

/** The 1-based tier that `units` reach. */
export function tierOf(units: number, tiers: Tier[]): number {
  const i = tiers.findIndex((t) => t.upTo === null || units <= t.upTo);
  return i < 0 ? tiers.length : i + 1;
}

/**
 * Splits an integer `total` into integer parts proportional to `weights` that
 * add up to it exactly (largest remainder: floors first, then one cent each to
 * the largest fractions, ties to the earlier). Equal parts when every weight is 0.
 */
export function allocate(total: number, weights: number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const w = sum > 0 ? weights : weights.map(() => 1);
  const W = sum > 0 ? sum : weights.length;
  const sign = total < 0 ? -1 : 1;
  const abs = Math.abs(total);
  const integral = w.every(Number.isInteger) && Number.isSafeInteger(abs * W);
  const parts = w.map((x) => Math.floor((abs * x) / W));
  const fractions = w.map((x, i) => ({ i, f: integral ? (abs * x) % W : (abs * x) / W - parts[i]! }));
  let left = abs - parts.reduce((a, b) => a + b, 0);
  fractions.sort((a, b) => b.f - a.f || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % fractions.length, left--) parts[fractions[k]!.i]! += 1;
  // Floating weights can round a floor up: take those cents back from the smallest fractions.
  for (let k = fractions.length - 1; left < 0; k = (k - 1 + fractions.length) % fractions.length) {
    if (parts[fractions[k]!.i]! > 0) {
      parts[fractions[k]!.i]! -= 1;
      left++;
    }
  }
  return parts.map((p) => sign * p);
}

/** Months as YYYY-MM-01 strings and their arithmetic. */
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const monthOf = (i: number) => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;
export const addMonths = (m: string, n: number) => monthOf(monthIndex(m) + n);
/** The first month of the contract year a month is in. */
export function contractYearOf(month: string, startMonth: number): string {
  const i = monthIndex(month);
  const start = Math.floor(i / 12) * 12 + startMonth - 1;
  return monthOf(start > i ? start - 12 : start);
}

export interface CostOptions {
  /**
   * The first month not yet over (default: the last month with data). A
   * contract year is complete, and its minimum fees settled in its last month,
   * once it ends before this month.
   */
  openMonth?: string;
}

interface Cell {
  inferred: number;
  viewed: number;
}

/**
 * Costs of a network from its measured volumes under its contracts: every
 * figure a pure function of the volumes, so a rebuild and any sequence of
 * incremental runs give the same rows.
 *
 * Per product and contract year, the invoice so far (year to date) is the
 * price of the network's volume so far (or of its licences), topped up to the
 * minimum fee once the year is complete; each hospital's share of it, to the
 * cent, is in proportion to its own volume so far (licences: its licence
 * months), so every hospital pays the year's average price; a month's amount
 * is the change of the year to date. A hospital joins a product in its first
 * month with a study inferred for it, the network in its first month with any.
 */
export function computeCosts(volumes: VolumeRow[], contracts: Contracts, options: CostOptions = {}): { monthly: CostRow[]; yearly: YearRow[] } {
  const cells = new Map<string, Cell>();
  const months = new Set<string>();
  for (const v of volumes) {
    if (v.inferred <= 0 && v.viewed <= 0) continue;
    const key = `${v.hospital}|${v.product}|${v.month}`;
    const c = cells.get(key) ?? { inferred: 0, viewed: 0 };
    c.inferred += v.inferred;
    c.viewed += v.viewed;
    cells.set(key, c);
    months.add(v.month);
  }
  if (months.size === 0) return { monthly: [], yearly: [] };
  const first = Math.min(...[...months].map(monthIndex));
  const last = Math.max(...[...months].map(monthIndex));
  const open = options.openMonth ? monthIndex(options.openMonth) : last;
  const cell = (h: string, p: string, m: string): Cell => cells.get(`${h}|${p}|${m}`) ?? { inferred: 0, viewed: 0 };
  // Joining months: a hospital's first month per product, and for the network.
  const joins = new Map<string, number>();
  for (const [key, c] of cells) {
    if (c.inferred <= 0) continue;
    const [h, p, m] = key.split('|') as [string, string, string];
    for (const k of [`${h}|${p}`, `${h}|`]) joins.set(k, Math.min(joins.get(k) ?? Infinity, monthIndex(m)));
  }
  const hospitals = [...new Set([...joins.keys()].map((k) => k.split('|')[0]!))].sort();
  const start = contracts.contractYearStartMonth;
  const years = new Map<string, number[]>();
  for (let i = first; i <= last; i++) {
    const y = contractYearOf(monthOf(i), start);
    (years.get(y) ?? years.set(y, []).get(y)!).push(i);
  }
  const monthly: CostRow[] = [];
  const yearly: YearRow[] = [];
  for (const [year, span] of years) {
    const complete = monthIndex(year) + 11 < open;
    const rows: CostRow[] = [];
    for (const [product, contract] of Object.entries(contracts.products) as [string, ProductContract][]) {
      rows.push(...productYear(product, contract, year, span, complete, hospitals, joins, cell, contracts));
    }
    rows.push(...sharedYear(year, span, hospitals, joins, cell, contracts));
    monthly.push(...rows);
    // The network's invoice of the year, per product: each month's once.
    const invoices = new Map<string, Map<string, number>>();
    for (const r of rows) (invoices.get(r.product) ?? invoices.set(r.product, new Map()).get(r.product)!).set(r.month, r.invoice_cents);
    const byKey = new Map<string, YearRow>();
    for (const r of rows) {
      const key = `${r.hospital}|${r.product}`;
      const y = byKey.get(key) ?? { ...r, months: 0, complete: complete ? 1 : 0, inferred: 0, viewed: 0, joint_cents: 0, alone_cents: 0, invoice_cents: 0 };
      y.months += 1;
      y.inferred += r.inferred;
      y.viewed += r.viewed;
      y.joint_cents += r.joint_cents;
      y.alone_cents += r.alone_cents;
      y.invoice_cents = [...invoices.get(r.product)!.values()].reduce((a, b) => a + b, 0);
      y.tier = r.tier;
      y.alone_tier = r.alone_tier;
      byKey.set(key, y);
    }
    yearly.push(...[...byKey.values()].map(({ month: _m, ...y }: YearRow & { month?: string }) => y));
  }
  return { monthly, yearly };
}

type CellOf = (h: string, p: string, m: string) => Cell;

/** Units a price counts for a hospital in a month: its studies, or its licences while it is in. */
function unitsOf(price: Price, contracts: Contracts, h: string, c: Cell): number {
  if (price.model === 'per_study') return c.inferred;
  return price.per === 'site' ? (contracts.sites[h] ?? 1) : 1;
}

/** Year-to-date charges of one invoice: volume priced on the total so far, or licences in twelfths of the year's price. */
function yearToDate(price: Price, units: number[]): number[] {
  let total = 0;
  let licence = 0;
  return units.map((u) => {
    total += u;
    if (price.model === 'per_study') return tierCost(total, price.tiers, price.tiering);
    licence += tierCost(u, price.tiers, price.tiering);
    return Math.round(licence / 12);
  });
}

function productYear(product: string, contract: ProductContract, year: string, span: number[], complete: boolean, hospitals: string[], joins: Map<string, number>, cell: CellOf, contracts: Contracts): CostRow[] {
  const price = contract.price;
  const members = hospitals.filter((h) => (joins.get(`${h}|${product}`) ?? Infinity) <= span[span.length - 1]!);
  if (members.length === 0) return [];
  const inAt = (h: string, i: number) => (joins.get(`${h}|${product}`) ?? Infinity) <= i;
  // units[h][k]: what the price counts for hospital h in the k-th month of the span
  const units = members.map((h) => span.map((i) => (inAt(h, i) ? unitsOf(price, contracts, h, cell(h, product, monthOf(i))) : 0)));
  const settle = (ytd: number[], present: boolean) => {
    if (complete && present && ytd.length) ytd[ytd.length - 1] = Math.max(contract.minimumFeeCents, ytd[ytd.length - 1]!);
    return ytd;
  };
  const networkUnits = span.map((_, k) => units.reduce((s, u) => s + u[k]!, 0));
  const jointYtd = settle(yearToDate(price, networkUnits), true);
  const weightsYtd = units.map((u) => u.map(((s) => (x: number) => (s += x))(0)));
  const alloc = span.map((_, k) => allocate(jointYtd[k]!, weightsYtd.map((w) => w[k]!)));
  const aloneYtd = units.map((u) => settle(yearToDate(price, u), true));
  const rows: CostRow[] = [];
  const tierUnits = (k: number, u: number[]) => (price.model === 'per_study' ? u.slice(0, k + 1).reduce((a, b) => a + b, 0) : u[k]!);
  members.forEach((h, j) => {
    span.forEach((i, k) => {
      if (!inAt(h, i)) return;
      const c = cell(h, product, monthOf(i));
      const alone = aloneYtd[j]![k]! - (k > 0 ? aloneYtd[j]![k - 1]! : 0);
      const individual = contract.purchase === 'individual';
      const joint = individual ? alone : alloc[k]![j]! - (k > 0 ? alloc[k - 1]![j]! : 0);
      const invoice = individual ? members.reduce((s, _, jj) => s + aloneYtd[jj]![k]! - (k > 0 ? aloneYtd[jj]![k - 1]! : 0), 0) : jointYtd[k]! - (k > 0 ? jointYtd[k - 1]! : 0);
      const aloneTier = tierOf(tierUnits(k, units[j]!), price.tiers);
      rows.push({
        hospital: h,
        product,
        month: monthOf(i),
        contract_year: year,
        inferred: c.inferred,
        viewed: c.viewed,
        joint_cents: joint,
        alone_cents: alone,
        invoice_cents: invoice,
        tier: individual ? aloneTier : tierOf(tierUnits(k, networkUnits), price.tiers),
        alone_tier: aloneTier,
      });
    });
  });
  return rows;
}

/** The platform in twelfths of its yearly cost, shared each month among the hospitals in; implementation in a hospital's first month. */
function sharedYear(year: string, span: number[], hospitals: string[], joins: Map<string, number>, cell: CellOf, contracts: Contracts): CostRow[] {
  const { platform, implementation } = contracts;
  const twelfths = allocate(platform.yearlyCents, Array(12).fill(1));
  const aloneTwelfths = allocate(platform.individualYearlyCents, Array(12).fill(1));
  const products = Object.keys(contracts.products);
  const rows: CostRow[] = [];
  for (const i of span) {
    const month = monthOf(i);
    const nth = i - monthIndex(year);
    const members = hospitals.filter((h) => joins.get(`${h}|`)! <= i);
    if (members.length === 0) continue;
    const volume = members.map((h) => products.reduce((s, p) => s + cell(h, p, month).inferred, 0));
    const total = volume.reduce((a, b) => a + b, 0);
    const weights = members.map((_, j) => platform.byVolume * (total > 0 ? volume[j]! / total : 1 / members.length) + (1 - platform.byVolume) / members.length);
    const shares = allocate(twelfths[nth]!, weights);
    const joining = members.map((h) => joins.get(`${h}|`) === i);
    const invoice = twelfths[nth]! + joining.filter(Boolean).length * implementation.jointCents;
    members.forEach((h, j) => {
      rows.push({
        hospital: h,
        product: '',
        month,
        contract_year: year,
        inferred: volume[j]!,
        viewed: products.reduce((s, p) => s + cell(h, p, month).viewed, 0),
        joint_cents: shares[j]! + (joining[j] ? implementation.jointCents : 0),
        alone_cents: aloneTwelfths[nth]! + (joining[j] ? implementation.individualCents : 0),
        invoice_cents: invoice,
        tier: 0,
        alone_tier: 0,
      });
    });
  }
  return rows;
}
