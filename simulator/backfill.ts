import { makeEvent, uuidv7For, type AifiEvent, type ProductId } from '../events/index.ts';
import { inferenceCompletedEvent, PILOT_HOSPITALS, route, type Hospital } from '../orchestrator/index.ts';
import { encodeTruth, Random, simulateInference, vendorBehaviour } from '../vendors/index.ts';
import { PILOT, PRODUCT_BASELINE, TIMING } from './pilot.ts';
import type { Scenario } from './scenario.ts';
import { startMs, Timeline } from './timeline.ts';
import { TruthBook } from './truth.ts';
import { digest, studiesOfWeek, WEEK_MS, type StudyPlan } from './workload.ts';

/** Events of the fast path carry this source: they were made by the simulator, not by the orchestrator. */
export const BACKFILL_SOURCE = 'simulator-backfill';

export interface BackfillOptions {
  scenario: Scenario;
  seed: string | number;
  weeks: number;
  hospitals?: Hospital[];
}

export interface BackfillWeek {
  week: number;
  studies: number;
  events: AifiEvent[];
}

const iso = (ms: number) => new Date(Math.round(ms)).toISOString();

/**
 * The fast path for backfills: the pilot's events made directly with the event
 * factory — the same routing rules and the same simulated models as the live
 * path, without DICOM — week by week, deterministic for the seed (even the
 * event ids, so a repeated backfill is deduplicated). Events after the end of
 * the simulated period (a verdict not yet given) are not made.
 */
export class Backfill {
  readonly truth: TruthBook;
  private readonly timeline: Timeline;
  private readonly hospitals: Map<string, Hospital>;
  private readonly propensities = new Map<string, number[]>();
  readonly startsAt: number;
  readonly endsAt: number;

  constructor(private readonly options: BackfillOptions) {
    this.timeline = new Timeline(options.scenario);
    this.hospitals = new Map((options.hospitals ?? PILOT_HOSPITALS.hospitals).map((h) => [h.id, h]));
    this.truth = new TruthBook(options.scenario, options.seed, options.weeks, this.timeline);
    this.startsAt = startMs(options.scenario.start);
    this.endsAt = this.startsAt + options.weeks * WEEK_MS;
    for (const h of PILOT.hospitals) {
      for (const product of Object.keys(h.users) as ProductId[]) {
        const random = new Random(`${options.seed}|users|${h.id}|${product}`);
        const [a, b] = PRODUCT_BASELINE[product].propensity;
        this.propensities.set(`${h.id}|${product}`, Array.from({ length: h.users[product] }, () => random.beta(a, b)));
      }
    }
  }

  *weeks(): Generator<BackfillWeek> {
    for (let week = 0; week < this.options.weeks; week++) {
      const plans = studiesOfWeek(this.options.scenario, this.timeline, this.options.seed, week);
      const events: AifiEvent[] = [];
      for (const plan of plans) events.push(...this.studyEvents(plan));
      events.push(...this.heartbeats(week));
      yield { week, studies: plans.length, events: events.filter((e) => Date.parse(e.occurred_at) < this.endsAt) };
    }
  }

  private heartbeats(week: number): AifiEvent[] {
    const events: AifiEvent[] = [];
    const from = startMs(this.options.scenario.start) + week * WEEK_MS;
    for (const h of PILOT.hospitals) {
      const outages = this.timeline.outages(h.id);
      for (let t = from; t < from + WEEK_MS; t += TIMING.heartbeatEveryMs) {
        const down = outages.some(([a, b]) => t >= a && t < b);
        events.push(
          makeEvent('gateway.heartbeat', {
            event_id: uuidv7For(`${this.options.seed}|hb|${h.id}|${t}`, t),
            occurred_at: iso(t),
            hospital: h.id,
            source: BACKFILL_SOURCE,
            component: 'pacs-gateway',
            status: down ? 'down' : 'up',
          }),
        );
      }
    }
    return events;
  }

  /** Everything that happens to one study, from arrival to the last verdict. */
  studyEvents(plan: StudyPlan): AifiEvent[] {
    const hospital = this.hospitals.get(plan.hospital.id)!;
    const seed = this.options.seed;
    const random = new Random(`${seed}|study|${plan.id}`);
    const studyKey = digest(`${seed}|study|${plan.id}`);
    // The orchestrator puts the trace id of a study's span on its events; the backfill makes one up.
    const common = { hospital: hospital.id, source: BACKFILL_SOURCE, study_key: studyKey, trace_id: digest(`${seed}|trace|${plan.id}`).slice(0, 32) };
    const events: AifiEvent[] = [];
    let n = 0;
    const id = (t: number) => uuidv7For(`${seed}|${plan.id}|${n++}`, t);
    const receivedAt = plan.arrivesAt + 3_000;
    events.push(
      makeEvent('study.received', {
        ...common,
        event_id: id(receivedAt),
        occurred_at: iso(receivedAt),
        patient_key: digest(`${seed}|patient|${plan.id}`),
        modality: plan.modality,
        body_part: plan.bodyPart,
        age_years: plan.ageYears < 18 ? Math.floor(plan.ageYears * 10) / 10 : Math.floor(plan.ageYears),
        sex: plan.sex,
        manufacturer: plan.manufacturer,
        device_model: plan.deviceModel,
        contrast: plan.contrast,
        urgency: plan.urgency,
        send_mode: plan.sendMode,
        instance_count: plan.instanceCount,
        acquired_at: iso(plan.acquiredAt),
      }),
    );
    const decisions = route(
      { modality: plan.modality, bodyPart: plan.bodyPart, ageYears: plan.ageYears, contrast: plan.contrast, descriptions: plan.description.toUpperCase() },
      hospital,
    );
    const routedAt = receivedAt + 2;
    for (const d of decisions) {
      events.push(makeEvent('study.routed', { ...common, event_id: id(routedAt), occurred_at: iso(routedAt), product: d.product, outcome: d.outcome, rule: d.rule, reason: d.reason, routing_ms: 2 }));
    }
    for (const d of decisions.filter((x) => x.outcome === 'routed')) events.push(...this.productEvents(plan, hospital, d.product, routedAt, common, random, id));
    return events;
  }

  private productEvents(
    plan: StudyPlan,
    hospital: Hospital,
    product: ProductId,
    routedAt: number,
    common: { hospital: string; source: string; study_key: string; trace_id: string },
    random: Random,
    id: (t: number) => string,
  ): AifiEvent[] {
    const base = PRODUCT_BASELINE[product];
    const t = this.timeline;
    const at = plan.arrivesAt;
    const behaviour = vendorBehaviour.parse({
      model_version: t.text('model_version', hospital.id, product, at, base.modelVersion),
      sensitivity: t.number('sensitivity', hospital.id, product, at, base.sensitivity),
      specificity: t.number('specificity', hospital.id, product, at, base.specificity),
      bias_years: base.biasYears,
      sd_years: base.sdYears,
      seed: `${this.options.seed}|${product}`,
    });
    const events: AifiEvent[] = [];
    const p = { ...common, product };
    const queuedMs = Math.round(random.logNormal(1_500, 0.5));
    let clock = routedAt + queuedMs;
    events.push(makeEvent('inference.requested', { ...p, event_id: id(clock), occurred_at: iso(clock), attempt: 1, queued_ms: queuedMs }));
    let attempt = 1;
    if (random.chance(0.02)) {
      // A transient vendor timeout, then a successful retry.
      clock += 120_000;
      events.push(makeEvent('inference.failed', { ...p, event_id: id(clock), occurred_at: iso(clock), error_class: 'timeout', retryable: true, attempt, final: false, total_ms: clock - routedAt }));
      attempt = 2;
      clock += 1_000;
      events.push(makeEvent('inference.requested', { ...p, event_id: id(clock), occurred_at: iso(clock), attempt, queued_ms: queuedMs }));
    }
    const latencyFactor = t.number('latency', hospital.id, product, at, 1);
    const inferenceMs = Math.round(random.logNormal(base.inferenceMedianMs * latencyFactor, base.inferenceSigma));
    clock += inferenceMs;
    const result = simulateInference(
      product,
      {
        job_id: `${common.study_key}-${product}`,
        product,
        hospital: hospital.id,
        study: { modality: plan.modality, body_part: plan.bodyPart, age_years: plan.ageYears, sex: plan.sex, manufacturer: plan.manufacturer, instance_count: plan.instanceCount },
        image_content: encodeTruth(plan.truth),
      },
      behaviour,
    );
    events.push(inferenceCompletedEvent({ ...p, event_id: id(clock), occurred_at: iso(clock) }, result, { attempt, queuedMs, inferenceMs, totalMs: clock - routedAt }));
    const delivers = Boolean(hospital.products[product]?.deliver);
    const deliveryMs = delivers ? Math.round(random.logNormal(TIMING.deliveryMedianMs, 0.5)) : 0;
    clock += deliveryMs;
    events.push(
      makeEvent('result.delivered', {
        ...p,
        event_id: id(clock),
        occurred_at: iso(clock),
        channel: delivers ? 'dicom-sr' : 'none',
        acknowledged: delivers,
        ...(delivers ? {} : { reason: `delivery of results is off for ${product} at ${hospital.id}` }),
        delivery_ms: deliveryMs,
      }),
    );

    const users = this.propensities.get(`${hospital.id}|${product}`)!;
    const reader = random.int(users.length);
    const adoption = t.number('adoption', hospital.id, product, at, 1);
    const viewProbability = Math.min(1, users[reader]! * adoption * (delivers ? 1 : base.offPacsFactor));
    const viewed = random.chance(viewProbability);
    const readerKey = digest(`${this.options.seed}|user|${hospital.id}|${product}|${reader}`);
    this.truth.record(plan, product, { viewProbability, viewed, sensitivity: behaviour.sensitivity, specificity: behaviour.specificity, modelVersion: behaviour.model_version });
    let readAt = clock + random.logNormal(TIMING.viewMedianMs[plan.urgency], 0.8);
    if (viewed) {
      const role = product === 'rbfracture' && plan.urgency === 'acute' && random.chance(0.5) ? 'clinician' : 'radiologist';
      events.push(makeEvent('result.viewed', { ...p, event_id: id(readAt), occurred_at: iso(readAt), user_key: readerKey, role }));
    }
    if (random.chance(TIMING.verdictShare)) {
      readAt += random.chance(TIMING.verdictSameDayShare) ? random.logNormal(30 * 60_000, 0.8) : (7 + random.int(35)) * 24 * 3600_000;
      const binary = product !== 'bonexpert';
      const readerValue = plan.truth.boneAgeYears === null ? null : Number((plan.truth.boneAgeYears + random.normal(0, 0.3)).toFixed(2));
      events.push(
        makeEvent('verdict.recorded', {
          ...p,
          event_id: id(readAt),
          occurred_at: iso(readAt),
          reader_key: readerKey,
          ...(binary ? { label: plan.truth.finding } : { value: readerValue ?? 0 }),
          agreement: binary ? result.finding === plan.truth.finding : Math.abs((result.value ?? 0) - (readerValue ?? 0)) <= 1,
        }),
      );
    }
    return events;
  }
}
