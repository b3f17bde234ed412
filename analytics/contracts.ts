import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';
import { PRODUCT_IDS } from '../events/index.ts';

const cents = z.number().int({ error: 'must be a whole number of cents' }).min(0, { error: 'must not be negative' });

/** A price step: units up to `upTo` (inclusive; null for no end) cost `cents` each. */
const tier = z.strictObject({ upTo: z.number().int().positive().nullable(), cents });

/**
 * Tiers in rising order of `upTo`, the last without an end. `graduated`: each
 * unit pays the rate of the step it falls in; `all_units`: every unit pays the
 * rate of the step the total reaches (crossing a step lowers the price of the
 * units already bought: a credit in the month it happens).
 */
const tiers = z
  .array(tier)
  .min(1)
  .superRefine((list, ctx) => {
    list.forEach((t, i) => {
      const last = i === list.length - 1;
      if (last && t.upTo !== null) ctx.addIssue({ code: 'custom', path: [i, 'upTo'], message: 'the last tier must have upTo null (no end)' });
      if (!last && t.upTo === null) ctx.addIssue({ code: 'custom', path: [i, 'upTo'], message: 'only the last tier may have no end' });
      const before = list[i - 1]?.upTo;
      if (i > 0 && t.upTo !== null && before != null && t.upTo <= before) ctx.addIssue({ code: 'custom', path: [i, 'upTo'], message: `must be above the tier before (${before})` });
    });
  });

export const priceSchema = z.discriminatedUnion('model', [
  /** A price per study inferred, with tiers on the volume of a contract year. */
  z.strictObject({ model: z.literal('per_study'), tiering: z.enum(['graduated', 'all_units']), tiers }),
  /** A yearly licence per hospital or per site, with tiers on the number of licences. */
  z.strictObject({ model: z.literal('licence'), per: z.enum(['hospital', 'site']), tiering: z.enum(['graduated', 'all_units']), tiers }),
]);

export const productContractSchema = z.strictObject({
  /** `joint`: one contract for the network, tiers on its total; `individual`: each hospital alone. */
  purchase: z.enum(['joint', 'individual']),
  price: priceSchema,
  /** The least a contract year's invoice comes to (per invoice: the network's when joint, each hospital's alone). */
  minimumFeeCents: cents.default(0),
  /** Alert project leads when a hospital's cost per used (viewed) result in a contract year exceeds this. */
  maxCostPerUsedResultCents: cents.optional(),
});

export const contractsSchema = z
  .strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as EUR' }).default('EUR'),
    /** The month (1-12) contract years begin. */
    contractYearStartMonth: z.number().int().min(1).max(12).default(1),
    /** By product id of the catalogue. */
    products: z.record(z.string().refine((id) => (PRODUCT_IDS as readonly string[]).includes(id)), productContractSchema, {
      error: (issue) => (issue.code === 'invalid_key' ? `unknown product ${String(issue.input)} (the catalogue: ${PRODUCT_IDS.join(', ')})` : undefined),
    }),
    /** One-off implementation per hospital, booked in its first month: with the shared approach, and alone. */
    implementation: z.strictObject({ jointCents: cents, individualCents: cents }),
    /**
     * The central platform's yearly cost, booked in twelfths and shared each
     * month among the hospitals in the network: `byVolume` of it by their share
     * of the studies inferred, the rest equally. `individualYearlyCents`: what
     * a hospital alone would spend on the same (its own platform).
     */
    platform: z.strictObject({ yearlyCents: cents, byVolume: z.number().min(0).max(1), individualYearlyCents: cents }),
    /** Sites per hospital, for licences per site (1 where not given). */
    sites: z.record(z.string(), z.number().int().min(1)).default({}),
  })
  .superRefine((c, ctx) => {
    if (Object.keys(c.products).length === 0) ctx.addIssue({ code: 'custom', path: ['products'], message: 'must name at least one product' });
  });

export type Contracts = z.infer<typeof contractsSchema>;
export type ProductContract = z.infer<typeof productContractSchema>;
export type Price = z.infer<typeof priceSchema>;
export type Tier = z.infer<typeof tier>;

/**
 * The pilot's three products as contracts. ASSUMPTIONS, not real prices: they
 * are chosen to be of a plausible size and to show each price model.
 * - BoneXpert: per study, graduated (EUR 6.00 up to 2,000 a year, 4.50 up to 10,000, 3.00 beyond), bought jointly.
 * - RBfracture: per study, all-units (EUR 2.50 below 20,000 a year, 2.00 to 50,000, 1.50 beyond), jointly, EUR 5,000 minimum a year.
 * - CINA-iPE: a yearly licence per hospital, all-units on the number of hospitals (EUR 30,000 for 1-2, 24,000 for 3-5, 20,000 for 6 or more), jointly, EUR 60,000 minimum a year.
 * - Implementation EUR 15,000 per hospital shared, 40,000 alone; platform EUR 250,000 a year, half by volume and half equally, EUR 90,000 a year for a hospital alone.
 */
export const DEFAULT_CONTRACTS: Contracts = contractsSchema.parse({
  currency: 'EUR',
  contractYearStartMonth: 1,
  products: {
    bonexpert: {
      purchase: 'joint',
      price: { model: 'per_study', tiering: 'graduated', tiers: [{ upTo: 2000, cents: 600 }, { upTo: 10000, cents: 450 }, { upTo: null, cents: 300 }] },
      maxCostPerUsedResultCents: 2000,
    },
    rbfracture: {
      purchase: 'joint',
      price: { model: 'per_study', tiering: 'all_units', tiers: [{ upTo: 19999, cents: 250 }, { upTo: 49999, cents: 200 }, { upTo: null, cents: 150 }] },
      minimumFeeCents: 500_000,
      maxCostPerUsedResultCents: 1000,
    },
    'cina-ipe': {
      purchase: 'joint',
      price: { model: 'licence', per: 'hospital', tiering: 'all_units', tiers: [{ upTo: 2, cents: 3_000_000 }, { upTo: 5, cents: 2_400_000 }, { upTo: null, cents: 2_000_000 }] },
      minimumFeeCents: 6_000_000,
      maxCostPerUsedResultCents: 10_000,
    },
  },
  implementation: { jointCents: 1_500_000, individualCents: 4_000_000 },
  platform: { yearlyCents: 25_000_000, byVolume: 0.5, individualYearlyCents: 9_000_000 },
});

/** The contracts file (AIFI_CONTRACTS_FILE), or the pilot's assumed contracts; a bad file fails with every problem named. */
export function loadContracts(path: string | undefined): Contracts {
  return path ? readJsonFile(path, contractsSchema, 'contracts file') : DEFAULT_CONTRACTS;
}
