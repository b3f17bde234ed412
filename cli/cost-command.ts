import { parseArgs } from 'node:util';
import { loadContracts, loadPlanFile, planCosts, readVolumes, type Plan, type PlannedHospital } from '../analytics/index.ts';
import type { Config } from '../config/index.ts';
import { openStore } from '../store/index.ts';
import { table } from './analytics-commands.ts';
import { UsageError } from './cli-error.ts';
import type { Io } from './io.ts';

export const costHelp = `aifi cost plan [--add N] [--size small|medium|large | --like HOSPITAL] [--from YYYY-MM] [--hospitals-file FILE] [--year YYYY-MM] [--format table|json]
                              what a larger network would cost: the measured volumes of a contract year (the latest
                              whole one) with N more hospitals of a size class (the smallest, median or largest
                              measured; default medium) or like a measured one, joining from a month, or the
                              hospitals of FILE ({"hospitals": [{"id", "like"|"size"|"volumes": {product: {studies, used}}, "from"}]};
                              volumes for a hospital already in the network add products to it), priced under the contracts`;

export async function costCommand(config: Config, args: string[], io: Io): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'plan') throw new UsageError("cost needs 'plan'");
  const { values } = parseArgs({
    args: rest,
    options: {
      add: { type: 'string' },
      size: { type: 'string' },
      like: { type: 'string' },
      from: { type: 'string' },
      'hospitals-file': { type: 'string' },
      year: { type: 'string' },
      format: { type: 'string', default: 'table' },
    },
  });
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format takes table or json');
  if (values.size !== undefined && !['small', 'medium', 'large'].includes(values.size)) throw new UsageError('--size takes small, medium or large');
  if (values.size !== undefined && values.like !== undefined) throw new UsageError('give --size or --like, not both');
  if (values.from !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.from)) throw new UsageError('--from takes a month, YYYY-MM');
  if (values.year !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.year)) throw new UsageError('--year takes the month a contract year begins, YYYY-MM');
  const count = values.add === undefined ? 0 : Number(values.add);
  if (!Number.isInteger(count) || count < 0 || count > 1000) throw new UsageError('--add takes a whole number from 0 to 1000');
  const planned: PlannedHospital[] = values['hospitals-file'] ? loadPlanFile(values['hospitals-file']) : [];
  const kind = values.like !== undefined ? { like: values.like } : { size: (values.size ?? 'medium') as 'small' | 'medium' | 'large' };
  for (let i = 1; i <= count; i++) planned.push({ id: `planned-${i}`, ...kind, ...(values.from ? { from: values.from } : {}) });
  if (planned.length === 0) throw new UsageError('nothing to plan: give --add N or --hospitals-file FILE');
  const contracts = loadContracts(config.contractsFile);
  const store = await openStore(config.store, { readonly: true });
  let plan: Plan;
  try {
    plan = planCosts(await readVolumes(store), contracts, planned, values.year ? { year: values.year } : {});
  } catch (error) {
    throw new UsageError((error as Error).message);
  } finally {
    await store.close();
  }
  io.out(values.format === 'json' ? JSON.stringify(plan, null, 2) : formatPlan(plan, contracts.currency));
  return 0;
}

export function formatPlan(plan: Plan, currency: string): string {
  const products = plan.plan.products.map((p) => {
    const t = plan.today.products.find((x) => x.product === p.product);
    return { product: p.product, studies_today: t?.studies ?? 0, tier_today: t?.tier ?? '', studies_plan: p.studies, tier_plan: p.tier, invoice_today: t?.invoice_eur ?? 0, invoice_plan: p.invoice_eur };
  });
  const hospitals = plan.plan.hospitals.map((h) => {
    const t = plan.today.hospitals.find((x) => x.hospital === h.hospital);
    return { hospital: h.hospital, joint_today: t?.joint_eur ?? '', joint_plan: h.joint_eur, alone: h.alone_eur, saving_today: t?.saving_eur ?? '', saving_plan: h.saving_eur, per_study_today: t?.eur_per_study ?? '', per_study_plan: h.eur_per_study ?? '' };
  });
  const partial = plan.months < 12 ? ` (${plan.months} months measured: the figures are for those months)` : '';
  return [
    `Contract year from ${plan.contract_year}${partial}, in ${currency}; today as measured, the plan with the added hospitals`,
    `Network volume and the tier it reaches, per product\n${table(products)}`,
    `Per hospital: the year jointly (today, plan), alone, the saving and the cost per study (all products, platform and implementation)\n${table(hospitals)}`,
    `Network: ${plan.today.total_eur} today (${plan.today.eur_per_study ?? '-'} per study), ${plan.plan.total_eur} planned (${plan.plan.eur_per_study ?? '-'} per study)`,
  ].join('\n\n');
}
