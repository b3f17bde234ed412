import { z } from 'zod';
import { PRODUCT_IDS } from '../events/index.ts';

/**
 * The HTTP protocol between the orchestrator and a vendor's inference service.
 * `POST /v1/jobs` submits a study; the answer is the result at once (200) or an
 * acceptance (202) after which `GET /v1/jobs/:id` is polled until done or failed.
 */
export const jobRequest = z.strictObject({
  job_id: z.string().min(1).max(100),
  product: z.enum(PRODUCT_IDS),
  hospital: z.string(),
  study: z.strictObject({
    modality: z.string(),
    body_part: z.string(),
    age_years: z.number().nullable(),
    sex: z.string(),
    manufacturer: z.string(),
    instance_count: z.number().int(),
  }),
  /**
   * What the model reads of the images. A real service receives the pixels; the
   * simulated images of this project carry their ground truth here instead.
   */
  image_content: z.string(),
});

export const inferenceResult = z.strictObject({
  model_version: z.string().min(1).max(64),
  finding: z.enum(['positive', 'negative', 'none']),
  score: z.number().min(0).max(1).nullable(),
  value: z.number().min(-1000).max(1000).nullable(),
});

export const jobStatus = z.strictObject({
  job_id: z.string(),
  status: z.enum(['pending', 'done', 'failed']),
  result: inferenceResult.optional(),
  error: z.string().optional(),
});

export type JobRequest = z.infer<typeof jobRequest>;
export type InferenceResult = z.infer<typeof inferenceResult>;
export type JobStatus = z.infer<typeof jobStatus>;

/** The ground truth a simulated image carries: a finding, and for hand X-rays a true bone age. */
export interface SimulatedTruth {
  finding: 'positive' | 'negative';
  boneAgeYears: number | null;
}

const PREFIX = 'AIFI-SIM ';

export function encodeTruth(truth: SimulatedTruth): string {
  return `${PREFIX}finding=${truth.finding}${truth.boneAgeYears === null ? '' : ` bone_age=${truth.boneAgeYears.toFixed(2)}`}`;
}

export function decodeTruth(content: string): SimulatedTruth | null {
  if (!content.startsWith(PREFIX)) return null;
  const finding = /finding=(positive|negative)/.exec(content)?.[1] as SimulatedTruth['finding'] | undefined;
  const age = /bone_age=([0-9.]+)/.exec(content)?.[1];
  return finding ? { finding, boneAgeYears: age === undefined ? null : Number(age) } : null;
}
