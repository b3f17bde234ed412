import Fastify, { type FastifyInstance } from 'fastify';
import { isBinaryProduct, type ProductId } from '../events/index.ts';
import { vendorBehaviour, type VendorBehaviour, type VendorBehaviourInput } from './behaviour.ts';
import { decodeTruth, jobRequest, type InferenceResult, type JobRequest } from './protocol.ts';
import { Random } from './random.ts';

export interface SimulatedVendor {
  product: ProductId;
  url: string;
  app: FastifyInstance;
  /** Jobs received so far (for tests and the simulator's bookkeeping). */
  readonly jobs: number;
  behaviour: () => VendorBehaviour;
  /** Changes the behaviour from now on (a model update, a drift, an outage). */
  setBehaviour: (change: Partial<VendorBehaviourInput>) => void;
  close: () => Promise<void>;
}

/** What the simulated model answers for a job: deterministic for the job and the seed. */
export function simulateInference(product: ProductId, job: JobRequest, b: VendorBehaviour): InferenceResult {
  const random = new Random(`${b.seed}|${b.model_version}|${job.job_id}`);
  const truth = decodeTruth(job.image_content);
  const o = b.overrides.find((r) => (!r.hospital || r.hospital === job.hospital) && (!r.manufacturer || r.manufacturer === job.study.manufacturer));
  if (isBinaryProduct(product)) {
    const positiveTruth = truth?.finding === 'positive';
    const sensitivity = o?.sensitivity ?? b.sensitivity;
    const specificity = o?.specificity ?? b.specificity;
    const positive = positiveTruth ? random.chance(sensitivity) : !random.chance(specificity);
    const score = positive ? 0.5 + 0.5 * random.beta(4, 2) : 0.5 * random.beta(2, 4);
    return { model_version: b.model_version, finding: positive ? 'positive' : 'negative', score: Number(score.toFixed(4)), value: null };
  }
  const trueAge = truth?.boneAgeYears ?? job.study.age_years ?? 10;
  const value = trueAge + random.normal(o?.bias_years ?? b.bias_years, o?.sd_years ?? b.sd_years);
  return { model_version: b.model_version, finding: 'none', score: null, value: Number(Math.max(0, value).toFixed(2)) };
}

/**
 * A stand-in for a vendor's inference service (the real models are not
 * available): the orchestrator's vendor protocol over HTTP on 127.0.0.1, with
 * configurable latency, faults and clinical performance.
 */
export async function startSimulatedVendor(product: ProductId, behaviour: VendorBehaviourInput = {}, port = 0): Promise<SimulatedVendor> {
  let b = vendorBehaviour.parse(behaviour);
  let jobs = 0;
  const pending = new Map<string, { due: number; result: InferenceResult }>();
  const hanging = new Set<() => void>();
  const app = Fastify({ logger: false });

  app.post('/v1/jobs', async (request, reply) => {
    const parsed = jobRequest.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const job = parsed.data;
    jobs++;
    const random = new Random(`${b.seed}|faults|${job.job_id}|${jobs}`);
    if (random.chance(b.hang_rate)) {
      // Never answers; released when the service closes.
      await new Promise<void>((resolve) => hanging.add(resolve));
      return reply.code(503).send({ error: 'shutting down' });
    }
    if (random.chance(b.error_rate)) return reply.code(500).send({ error: 'inference engine error' });
    if (random.chance(b.garbage_rate)) return reply.code(200).type('application/json').send('{"status": "done", "result": {"finding": 42');
    const latency = random.logNormal(b.latency_median_ms, b.latency_sigma);
    const result = simulateInference(product, job, b);
    if (b.mode === 'poll') {
      pending.set(job.job_id, { due: Date.now() + latency, result });
      return reply.code(202).send({ job_id: job.job_id, status: 'pending' });
    }
    if (latency >= 1) await new Promise((r) => setTimeout(r, latency));
    return reply.code(200).send({ job_id: job.job_id, status: 'done', result });
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (request, reply) => {
    const job = pending.get(request.params.id);
    if (!job) return reply.code(404).send({ error: `no job ${request.params.id}` });
    if (Date.now() < job.due) return { job_id: request.params.id, status: 'pending' };
    pending.delete(request.params.id);
    return { job_id: request.params.id, status: 'done', result: job.result };
  });

  const address = await app.listen({ host: '127.0.0.1', port });
  return {
    product,
    url: address,
    app,
    get jobs() {
      return jobs;
    },
    behaviour: () => b,
    setBehaviour: (change) => {
      b = vendorBehaviour.parse({ ...b, ...change });
    },
    close: async () => {
      for (const release of hanging) release();
      await app.close();
    },
  };
}
