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
import { DEFAULT_FORMS } from './hospitals.ts';
import { resultObjects } from './result-object.ts';
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
type FormOutcome = NonNullable<EventOf<'result.delivered'>['forms']>[number];

/** What every event of one study's job for one product carries. */
type Common = { hospital: string; source: string; study_key: string; product: ProductId; trace_id?: string };

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

  private async run(study: RoutedStudy, product: ProductId): Promise<void> {
    const adapter = this.options.adapters.get(product);
    const common = { hospital: study.hospital.id, source: this.source, study_key: study.studyKey, product, ...(study.traceId ? { trace_id: study.traceId } : {}) };
    const slot = this.slots.get(product)!;
    const breaker = this.breakers.get(product)!;
    if (!adapter) {
      this.emit([makeEvent('inference.failed', { ...common, error_class: 'rejected', retryable: false, attempt: 1, final: true, total_ms: 0 })]);
      return;
    }
    const result = await slot.execute(async () => {
      jobsInFlight.inc({ product });
      try {
        return await this.infer(study, product, adapter, breaker, common);
      } finally {
        jobsInFlight.dec({ product });
      }
    });
    if (result) await this.deliver(study, product, result, common);
  }

  /** Attempts the job, each attempt an event, through the product's circuit breaker; null when it was given up. */
  private async infer(study: RoutedStudy, product: ProductId, adapter: VendorAdapter, breaker: CircuitBreakerPolicy, common: Common): Promise<InferenceResult | null> {
    const policy = this.options.inference;
    const routedAt = study.routedAt;
    const job: JobRequest = {
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
    try {
      return await this.inferenceRetries.execute(async ({ attempt: retry }) => {
        const attempt = retry + 1;
        const started = Date.now();
        const queuedMs = Math.max(0, started - routedAt);
        this.emit([makeEvent('inference.requested', { ...common, attempt, queued_ms: queuedMs })]);
        try {
          const result = await breaker.execute(() => adapter.submit({ ...job, job_id: `${job.job_id}-${attempt}` }, policy.timeoutMs));
          const now = Date.now();
          inferenceAttempts.inc({ product, outcome: 'completed' });
          inferenceSeconds.observe({ product }, (now - started) / 1000);
          this.emit([inferenceCompletedEvent(common, result, { attempt, queuedMs, inferenceMs: now - started, totalMs: now - routedAt })]);
          return result;
        } catch (error) {
          const e =
            error instanceof InferenceError
              ? error
              : error instanceof BrokenCircuitError
                ? new InferenceError('circuit_open', 'the vendor keeps failing; calls paused', true)
                : new InferenceError('invalid_response', String(error), false);
          const final = !e.retryable || attempt >= policy.maxAttempts;
          inferenceAttempts.inc({ product, outcome: e.errorClass });
          this.emit([makeEvent('inference.failed', { ...common, error_class: e.errorClass, retryable: e.retryable, attempt, final, total_ms: Date.now() - routedAt })]);
          if (final) this.options.log.warn({ hospital: study.hospital.id, product, attempts: attempt, reason: e.message }, 'inference failed; giving up');
          throw e;
        }
      });
    } catch {
      return null;
    }
  }

  private async deliver(study: RoutedStudy, product: ProductId, result: InferenceResult, common: Common): Promise<void> {
    const { hospital } = study;
    const none = (reason: string) => {
      deliveries.inc({ product, outcome: 'off' });
      this.emit([makeEvent('result.delivered', { ...common, channel: 'none', acknowledged: false, reason, delivery_ms: 0 })]);
    };
    const settings = hospital.products[product];
    if (!settings?.deliver) return none(`delivery of ${PRODUCTS[product].name} results is off at ${hospital.id}`);
    if (!hospital.pacs) return none(`no PACS is configured for ${hospital.id}`);
    const pacs = hospital.pacs;
    const forms = settings.forms ?? DEFAULT_FORMS;
    const { objects, skipped } = resultObjects(study, product, result, forms);
    const policy = this.options.delivery;
    const started = Date.now();
    const outcomes = new Map<ResultForm, FormOutcome>(skipped.map((s) => [s.form, { form: s.form, acknowledged: false, reason: s.reason }]));
    for (const object of objects) {
      let attempts = 0;
      try {
        const ack = await this.deliveryRetries.execute(() => {
          attempts++;
          return sendToPacs(pacs, object.file, object.dataset, this.options.callingAe, policy.timeoutMs);
        });
        outcomes.set(object.form, { form: object.form, acknowledged: true, status: ack.status });
      } catch (error) {
        const e = error instanceof DeliveryError ? error : new DeliveryError(String(error), false);
        this.options.log.warn({ hospital: hospital.id, product, form: object.form, attempts, reason: e.message }, 'result delivery failed; giving up');
        outcomes.set(object.form, {
          form: object.form,
          acknowledged: false,
          ...(e.status !== undefined ? { status: e.status } : {}),
          reason: `${e.message} (after ${attempts} attempts)`.slice(0, 200),
        });
      }
    }
    const sent = objects.map((o) => outcomes.get(o.form)!);
    const acknowledged = sent.every((o) => o.acknowledged);
    const failure = sent.find((o) => !o.acknowledged);
    deliveries.inc({ product, outcome: acknowledged ? 'acknowledged' : 'failed' });
    this.emit([
      makeEvent('result.delivered', {
        ...common,
        channel: forms.includes('sr') ? 'dicom-sr' : 'dicom-sc',
        acknowledged,
        ...(failure ? { reason: `${failure.form}: ${failure.reason}`.slice(0, 200) } : {}),
        delivery_ms: Date.now() - started,
        pacs_via: pacs.via,
        forms: forms.map((f) => outcomes.get(f)!),
      }),
    ]);
  }
}
