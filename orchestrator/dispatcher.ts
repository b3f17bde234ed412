import {
  BrokenCircuitError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  retry,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type RetryPolicy as CockatielRetry,
} from 'cockatiel';
import type { FastifyBaseLogger } from 'fastify';
import { makeEvent, PRODUCTS, type AifiEvent, type EventMaker, type EventOf, type ProductId, type ResultForm } from '../events/index.ts';
import type { InferenceResult, JobRequest } from '../vendors/index.ts';
import type { EventEmitter } from './event-emitter.ts';
import { DeliveryError, sendToPacs } from './pacs-delivery.ts';
import { DEFAULT_FORMS, type Hospital, type PacsTarget } from './hospitals.ts';
import { resultObjects, type ResultObject } from './result-object.ts';
import type { RoutedStudy } from './study-intake.ts';
import { InferenceError, type VendorAdapter } from './vendor-adapter.ts';
import { deliveries, inferenceAttempts, inferenceSeconds, jobsInFlight } from './metrics.ts';

export interface RetryPolicy {
  maxAttempts: number;
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs?: number;
}

export interface DispatcherOptions {
  adapters: Map<ProductId, VendorAdapter>;
  emitter: EventEmitter;
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  inference: RetryPolicy;
  delivery: RetryPolicy;
  /** Jobs running at once per product. */
  concurrency?: number;
  /** Failures in a row that open a vendor's circuit, and how long it stays open. */
  circuit?: { threshold: number; openMs: number };
  /** Our AE title when we C-STORE results. */
  callingAe: string;
  source?: string;
}

/** The `inference.completed` event of a vendor's result, with its stage latencies. */
export function inferenceCompletedEvent(
  common: { hospital: string; source: string; study_key: string; product: ProductId; trace_id?: string; event_id?: string; occurred_at?: string },
  result: InferenceResult,
  timing: { attempt: number; queuedMs: number; inferenceMs: number; totalMs: number },
  make: EventMaker = makeEvent,
) {
  return make('inference.completed', {
    ...common,
    model_version: result.model_version,
    finding: result.finding,
    score: result.score,
    value: result.value,
    attempt: timing.attempt,
    queued_ms: timing.queuedMs,
    inference_ms: timing.inferenceMs,
    total_ms: timing.totalMs,
  });
}

/** One form of a result and what the PACS acknowledged of it. */
export type FormOutcome = NonNullable<EventOf<'result.delivered'>['forms']>[number];

/** What every event of one study's job for one product carries. */
export type Common = { hospital: string; source: string; study_key: string; product: ProductId; trace_id?: string };

/** Retries what the error says is retryable, with exponential backoff and jitter. */
function retries(policy: RetryPolicy, retryable: (e: unknown) => boolean): CockatielRetry {
  return retry(handleWhen(retryable), {
    maxAttempts: policy.maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: policy.baseDelayMs, maxDelay: policy.maxDelayMs ?? 30_000 }),
  });
}

const CIRCUIT_STATES: Record<CircuitState, 'closed' | 'open' | 'half-open'> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Sends each routed study to its products' vendors, retries what can succeed
 * later, stops calling a vendor that keeps failing, and delivers each result
 * back into the hospital's PACS. Every step is an event with its stage latency.
 * A slow or failing vendor holds up only its own product's jobs.
 */
export class Dispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots = new Map<ProductId, BulkheadPolicy>();
  private readonly breakers = new Map<ProductId, CircuitBreakerPolicy>();
  private readonly inferenceRetries: CockatielRetry;
  private readonly deliveryRetries: CockatielRetry;
  private readonly source: string;

  constructor(private readonly options: DispatcherOptions) {
    this.source = options.source ?? 'orchestrator';
    for (const product of options.adapters.keys()) {
      // Jobs beyond the limit wait their turn; how many can wait is bounded by the intake's open studies.
      this.slots.set(product, bulkhead(options.concurrency ?? 16, Number.MAX_SAFE_INTEGER));
      this.breakers.set(
        product,
        circuitBreaker(handleAll, { halfOpenAfter: options.circuit?.openMs ?? 30_000, breaker: new ConsecutiveBreaker(options.circuit?.threshold ?? 5) }),
      );
    }
    this.inferenceRetries = retries(options.inference, (e) => e instanceof InferenceError && e.retryable);
    this.deliveryRetries = retries(options.delivery, (e) => e instanceof DeliveryError && e.retryable);
  }

  /** The state of a product's circuit breaker: open while its vendor keeps failing. */
  circuit(product: ProductId): 'closed' | 'open' | 'half-open' {
    const breaker = this.breakers.get(product);
    return breaker ? CIRCUIT_STATES[breaker.state] : 'closed';
  }

  dispatch(study: RoutedStudy): void {
    for (const product of study.products) {
      const job = this.run(study, product).catch((error) => this.options.log.error({ err: error, product }, 'dispatch failed unexpectedly'));
      this.inFlight.add(job);
      void job.finally(() => this.inFlight.delete(job));
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private emit(events: AifiEvent[]): void {
    void this.options.emitter.emit(events);
  }

  /** One product's job for a study: a slot of the product's bulkhead, the inference, then the delivery of its result. */
  private async run(study: RoutedStudy, product: ProductId): Promise<void> {
    const common = jobCommon(study, product, this.source);
    const adapter = this.options.adapters.get(product);
    if (!adapter) {
      this.emit([makeEvent('inference.failed', { ...common, error_class: 'rejected', retryable: false, attempt: 1, final: true, total_ms: 0 })]);
      return;
    }
    const result = await this.slots.get(product)!.execute(async () => {
      jobsInFlight.inc({ product });
      try {
        return await this.infer(study, product, adapter, common);
      } finally {
        jobsInFlight.dec({ product });
      }
    });
    if (result) await this.deliver(study, product, result, common);
  }

  /** The job's attempts under the inference retry policy; null when it was given up (each attempt has its events). */
  private async infer(study: RoutedStudy, product: ProductId, adapter: VendorAdapter, common: Common): Promise<InferenceResult | null> {
    const job = vendorJob(study, product);
    try {
      return await this.inferenceRetries.execute(({ attempt }) => this.attempt(study, job, attempt + 1, adapter, common));
    } catch {
      return null;
    }
  }

  /** One attempt through the product's circuit breaker: `inference.requested`, then `inference.completed` or `inference.failed`. */
  private async attempt(study: RoutedStudy, job: JobRequest, attempt: number, adapter: VendorAdapter, common: Common): Promise<InferenceResult> {
    const { product } = common;
    const policy = this.options.inference;
    const started = Date.now();
    const queuedMs = Math.max(0, started - study.routedAt);
    this.emit([makeEvent('inference.requested', { ...common, attempt, queued_ms: queuedMs })]);
    let result: InferenceResult;
    try {
      result = await this.breakers.get(product)!.execute(() => adapter.submit({ ...job, job_id: `${job.job_id}-${attempt}` }, policy.timeoutMs));
    } catch (error) {
      const e = inferenceFailure(error);
      const final = !e.retryable || attempt >= policy.maxAttempts;
      inferenceAttempts.inc({ product, outcome: e.errorClass });
      this.emit([makeEvent('inference.failed', { ...common, error_class: e.errorClass, retryable: e.retryable, attempt, final, total_ms: Date.now() - study.routedAt })]);
      if (final) this.options.log.warn({ hospital: study.hospital.id, product, attempts: attempt, reason: e.message }, 'inference failed; giving up');
      throw e;
    }
    const now = Date.now();
    inferenceAttempts.inc({ product, outcome: 'completed' });
    inferenceSeconds.observe({ product }, (now - started) / 1000);
    this.emit([inferenceCompletedEvent(common, result, { attempt, queuedMs, inferenceMs: now - started, totalMs: now - study.routedAt })]);
    return result;
  }

  /** Delivers the result's forms into the hospital's PACS, each under the delivery retry policy; one `result.delivered` says what was acknowledged. */
  private async deliver(study: RoutedStudy, product: ProductId, result: InferenceResult, common: Common): Promise<void> {
    const { hospital } = study;
    const off = deliveryOff(hospital, product);
    if (off) {
      deliveries.inc({ product, outcome: 'off' });
      this.emit([makeEvent('result.delivered', { ...common, channel: 'none', acknowledged: false, reason: off, delivery_ms: 0 })]);
      return;
    }
    const pacs = hospital.pacs!;
    const forms = hospital.products[product]!.forms ?? DEFAULT_FORMS;
    const { objects, skipped } = resultObjects(study, product, result, forms);
    const started = Date.now();
    const outcomes: FormOutcome[] = skipped.map((s) => ({ form: s.form, acknowledged: false, reason: s.reason }));
    for (const object of objects) outcomes.push(await this.deliverForm(pacs, object, hospital.id, product));
    const event = deliveredEvent(common, forms, objects.map((o) => o.form), outcomes, Date.now() - started, pacs);
    deliveries.inc({ product, outcome: event.acknowledged ? 'acknowledged' : 'failed' });
    this.emit([event]);
  }

  /** One form sent to the PACS, retried while the failure is retryable; what the PACS acknowledged, or why not. */
  private async deliverForm(pacs: PacsTarget, object: ResultObject, hospital: string, product: ProductId): Promise<FormOutcome> {
    let attempts = 0;
    try {
      const ack = await this.deliveryRetries.execute(() => {
        attempts++;
        return sendToPacs(pacs, object.file, object.dataset, this.options.callingAe, this.options.delivery.timeoutMs);
      });
      return { form: object.form, acknowledged: true, status: ack.status };
    } catch (error) {
      const e = error instanceof DeliveryError ? error : new DeliveryError(String(error), false);
      this.options.log.warn({ hospital, product, form: object.form, attempts, reason: e.message }, 'result delivery failed; giving up');
      return {
        form: object.form,
        acknowledged: false,
        ...(e.status !== undefined ? { status: e.status } : {}),
        reason: `${e.message} (after ${attempts} attempts)`.slice(0, 200),
      };
    }
  }
}

/** What every event of a study's job for a product carries. */
export function jobCommon(study: RoutedStudy, product: ProductId, source: string): Common {
  return { hospital: study.hospital.id, source, study_key: study.studyKey, product, ...(study.traceId ? { trace_id: study.traceId } : {}) };
}

/** The job a vendor receives: what its model reads of the study, keyed by the study's pseudonym, never an identifier. */
export function vendorJob(study: RoutedStudy, product: ProductId): JobRequest {
  return {
    job_id: `${study.studyKey.slice(0, 32)}-${product}`,
    product,
    hospital: study.hospital.id,
    study: {
      modality: study.header.modality,
      body_part: study.header.bodyPart,
      age_years: study.ageYears,
      sex: study.header.sex,
      manufacturer: study.header.manufacturer,
      instance_count: study.instanceCount,
    },
    image_content: study.header.imageComments,
  };
}

/** Classifies what an attempt threw: a vendor's InferenceError as it is, an open circuit as retryable, anything else as an invalid response. */
export function inferenceFailure(error: unknown): InferenceError {
  if (error instanceof InferenceError) return error;
  if (error instanceof BrokenCircuitError) return new InferenceError('circuit_open', 'the vendor keeps failing; calls paused', true);
  return new InferenceError('invalid_response', String(error), false);
}

/** Why a product's result is not delivered at a hospital (delivery off, no PACS), or null when it is. */
export function deliveryOff(hospital: Hospital, product: ProductId): string | null {
  if (!hospital.products[product]?.deliver) return `delivery of ${PRODUCTS[product].name} results is off at ${hospital.id}`;
  if (!hospital.pacs) return `no PACS is configured for ${hospital.id}`;
  return null;
}

/**
 * The `result.delivered` event of a delivery: acknowledged when every form
 * sent was; the reason of the first that was not; each configured form's
 * outcome (skipped ones included) in the configured order.
 */
export function deliveredEvent(common: Common, forms: readonly ResultForm[], sent: readonly ResultForm[], outcomes: readonly FormOutcome[], deliveryMs: number, pacs: PacsTarget): EventOf<'result.delivered'> {
  const byForm = new Map(outcomes.map((o) => [o.form, o]));
  const sentOutcomes = sent.map((f) => byForm.get(f)!);
  const failure = sentOutcomes.find((o) => !o.acknowledged);
  return makeEvent('result.delivered', {
    ...common,
    channel: forms.includes('sr') ? 'dicom-sr' : 'dicom-sc',
    acknowledged: sentOutcomes.every((o) => o.acknowledged),
    ...(failure ? { reason: `${failure.form}: ${failure.reason}`.slice(0, 200) } : {}),
    delivery_ms: deliveryMs,
    pacs_via: pacs.via,
    forms: forms.map((f) => byForm.get(f)!),
  });
}
