import { z } from 'zod';

const probability = z.number().min(0).max(1);

/** How a simulated model performs on the inputs a rule matches. */
const performance = z.strictObject({
  sensitivity: probability.optional(),
  specificity: probability.optional(),
  /** Bone age: the model's error against the truth, in years. */
  bias_years: z.number().min(-10).max(10).optional(),
  sd_years: z.number().min(0).max(10).optional(),
});

/** A simulated vendor service: latency, faults and clinical behaviour. */
export const vendorBehaviour = z.strictObject({
  model_version: z.string().min(1).default('1.0.0'),
  /** Inference latency: log-normal with this median (ms) and log-scale sigma. */
  latency_median_ms: z.number().min(0).default(5_000),
  latency_sigma: z.number().min(0).max(3).default(0.5),
  /** Share of jobs answered 500, answered with garbage, or never answered (a hang). */
  error_rate: probability.default(0),
  garbage_rate: probability.default(0),
  hang_rate: probability.default(0),
  /** Answer at once (200 with the result), or 202 and let the caller poll. */
  mode: z.enum(['sync', 'poll']).default('sync'),
  sensitivity: probability.default(0.9),
  specificity: probability.default(0.9),
  bias_years: z.number().min(-10).max(10).default(0),
  sd_years: z.number().min(0).max(10).default(0.6),
  /** Different behaviour on some inputs, e.g. images of one scanner make at one hospital; first match wins. */
  overrides: z
    .array(z.strictObject({ hospital: z.string().optional(), manufacturer: z.string().optional(), ...performance.shape }))
    .default([]),
  /** Seed of the model's randomness: the same job always gets the same answer. */
  seed: z.union([z.string(), z.number()]).default('vendor'),
});

export type VendorBehaviour = z.infer<typeof vendorBehaviour>;
export type VendorBehaviourInput = z.input<typeof vendorBehaviour>;
