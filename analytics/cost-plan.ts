import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';
import { PRODUCT_IDS } from '../events/index.ts';
import type { Contracts } from './contracts.ts';
import { addMonths, allocate, computeCosts, contractYearOf, tierOf, type VolumeRow, type YearRow } from './cost-model.ts';

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])(-01)?$/, { error: 'must be a month, YYYY-MM' });
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be a lower-case slug' });

/**
 * A hospital the plan adds: like a measured hospital (its monthly volumes), of
 * a size class (the smallest, median or largest measured hospital), or with
 * yearly volumes per product (spread evenly over the months). Volumes for a
 * hospital already in the network add products to it.
 */
export const plannedHospitalSchema = z
  .strictObject({
    id: slug,
    like: z.string().min(1).optional(),
    size: z.enum(['small', 'medium', 'large']).optional(),
    /** The month it joins (the start of the year when not given). */
    from: month.optional(),
    volumes: z.partialRecord(z.enum(PRODUCT_IDS), z.strictObject({ studies: z.number().int().min(0), used: z.number().int().min(0) })).optional(),
  })
  .refine((h) => [h.like, h.size, h.volumes].filter((x) => x !== undefined).length === 1, { error: 'give exactly one of like, size or volumes' });

export const planFileSchema = z.strictObject({ hospitals: z.array(plannedHospitalSchema).min(1) });
export type PlannedHospital = z.infer<typeof plannedHospitalSchema>;

export function loadPlanFile(path: string): PlannedHospital[] {
  return readJsonFile(path, planFileSchema, 'plan hospitals file').hospitals;
}

export interface PlanSide {
  /** Per product: the network's studies in the year, and the tier they reach. */
  products: { product: string; studies: number; used: number; tier: number; invoice_eur: number }[];
  /** Per hospital, all products and its shared costs: the year jointly and alone. */
  hospitals: { hospital: string; studies: number; used: number; joint_eur: number; alone_eur: number; saving_eur: number; eur_per_study: number | null; eur_per_used: number | null }[];
  total_eur: number;
  eur_per_study: number | null;
}

export interface Plan {
  contract_year: string;
  /** Months of that year measured (a plan over fewer than 12 counts only those). */
  months: number;
  today: PlanSide;
  plan: PlanSide;
}

const eur = (cents: number) => Math.round(cents) / 100;
const per = (cents: number, n: number) => (n > 0 ? Math.round(cents / n) / 100 : null);

function side(yearly: YearRow[], contracts: Contracts): PlanSide {
  const products = Object.entries(contracts.products).flatMap(([product, c]) => {
    const rows = yearly.filter((y) => y.product === product);
    if (!rows.length) return [];
    const studies = rows.reduce((s, r) => s + r.inferred, 0);
    const units = c!.price.model === 'per_study' ? studies : rows.length;
    return [{ product, studies, used: rows.reduce((s, r) => s + r.viewed, 0), tier: c!.purchase === 'joint' ? tierOf(units, c!.price.tiers) : 0, invoice_eur: eur(rows[0]!.invoice_cents) }];
  });
  const byHospital = new Map<string, { studies: number; used: number; joint: number; alone: number }>();
  for (const y of yearly) {
    const h = byHospital.get(y.hospital) ?? { studies: 0, used: 0, joint: 0, alone: 0 };
    if (y.product !== '') {
      h.studies += y.inferred;
      h.used += y.viewed;
    }
    h.joint += y.joint_cents;
    h.alone += y.alone_cents;
    byHospital.set(y.hospital, h);
  }
  const hospitals = [...byHospital].map(([hospital, h]) => ({
    hospital,
    studies: h.studies,
    used: h.used,
    joint_eur: eur(h.joint),
    alone_eur: eur(h.alone),
    saving_eur: eur(h.alone - h.joint),
    eur_per_study: per(h.joint, h.studies),
    eur_per_used: per(h.joint, h.used),
  }));
  const total = [...byHospital.values()].reduce((s, h) => s + h.joint, 0);
  const studies = hospitals.reduce((s, h) => s + h.studies, 0);
  return { products, hospitals, total_eur: eur(total), eur_per_study: per(total, studies) };
}

/**
 * What a larger network would cost: the measured volumes of a contract year
 * (the latest with twelve months, else the latest), with the planned hospitals
 * added, priced by the same model as the measured costs (a year of twelve
 * measured months as complete, its minimum fees settled). `today` is the same year as measured;
 * hospitals pay implementation in the year they joined.
 */
export function planCosts(volumes: VolumeRow[], contracts: Contracts, planned: PlannedHospital[], options: { year?: string } = {}): Plan {
  const start = contracts.contractYearStartMonth;
  const yearOf = (m: string) => contractYearOf(m, start);
  const monthsOf = new Map<string, Set<string>>();
  for (const v of volumes) (monthsOf.get(yearOf(v.month)) ?? monthsOf.set(yearOf(v.month), new Set()).get(yearOf(v.month))!).add(v.month);
  const years = [...monthsOf.keys()].sort();
  if (years.length === 0) throw new Error('no volumes measured yet: run `aifi analytics run` after data has arrived');
  const year = options.year ? yearOf(`${options.year.slice(0, 7)}-01`) : ([...years].reverse().find((y) => monthsOf.get(y)!.size === 12) ?? years[years.length - 1]!);
  if (!monthsOf.has(year)) throw new Error(`no volumes measured in the contract year from ${year} (years measured: ${years.join(', ')})`);
  const measured = volumes.filter((v) => yearOf(v.month) === year);
  const months = [...monthsOf.get(year)!].sort();
  const totals = new Map<string, number>();
  for (const v of measured) totals.set(v.hospital, (totals.get(v.hospital) ?? 0) + v.inferred);
  const ranked = [...totals].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([h]) => h);
  const added: VolumeRow[] = [];
  for (const [i, p] of planned.entries()) {
    const from = p.from ? `${p.from.slice(0, 7)}-01` : months[0]!;
    const open = months.filter((m) => m >= from);
    if (p.volumes) {
      for (const [product, v] of Object.entries(p.volumes)) {
        if (!contracts.products[product as keyof Contracts['products']]) throw new Error(`hospitals.${i}.volumes.${product}: no contract prices ${product}: add it to the contracts file`);
        const studies = allocate(v!.studies, open.map(() => 1));
        const used = allocate(v!.used, open.map(() => 1));
        open.forEach((m, k) => added.push({ hospital: p.id, product, month: m, inferred: studies[k]!, viewed: used[k]! }));
      }
      continue;
    }
    if (totals.has(p.id)) throw new Error(`hospitals.${i}.id: ${p.id} is already in the network (give volumes to add products to it)`);
    const source = p.like ?? (p.size === 'small' ? ranked[0] : p.size === 'large' ? ranked[ranked.length - 1] : ranked[Math.floor((ranked.length - 1) / 2)])!;
    if (!totals.has(source)) throw new Error(`hospitals.${i}.like: ${source} has no volumes in the contract year from ${year} (hospitals: ${ranked.join(', ')})`);
    for (const v of measured) if (v.hospital === source && v.month >= from) added.push({ ...v, hospital: p.id });
  }
  // A whole year measured is priced as complete (minimum fees settled); fewer months as they are.
  const whole = months.length === 12 ? { openMonth: addMonths(year, 12) } : {};
  // Priced over the whole history, so that only hospitals joining in that year pay their implementation in it.
  const inYear = (rows: YearRow[]) => rows.filter((r) => r.contract_year === year);
  const today = inYear(computeCosts(volumes, contracts, whole).yearly);
  const plan = inYear(computeCosts([...volumes, ...added], contracts, whole).yearly);
  return { contract_year: year, months: months.length, today: side(today, contracts), plan: side(plan, contracts) };
}
