import { isBinaryProduct, isoTime, makeEvent, uuidv7For, type AifiEvent, type EventMaker, type ProductId } from '../events/index.ts';
import { inferenceCompletedEvent, routeContracted, type Hospital } from '../orchestrator/index.ts';
import { encodeTruth, Random, simulateInference, vendorBehaviour, type VendorBehaviour } from '../vendors/index.ts';
import { networkOf, studiesOfWeek, type Network } from './network.ts';
import { PRODUCT_BASELINE, TIMING } from './pilot.ts';
import { planReport, type ProductReading } from './ris-reports.ts';
import type { Scenario } from './scenario.ts';
import { startMs, Timeline } from './timeline.ts';
import { TruthBook } from './truth.ts';
import { digest, truthFor, WEEK_MS, type StudyPlan } from './workload.ts';

/** Events of the fast path carry this source: they were made by the simulator, not by the orchestrator. */
export const BACKFILL_SOURCE = 'simulator-backfill';

export interface BackfillOptions {
  scenario: Scenario;
  seed: string | number;
  weeks: number;
  /** The hospitals' configuration (contracts, PACS delivery); by default the scenario network's. */
  hospitals?: Hospital[];
  /**
   * How events are made: `makeEvent` (validated, the default), or
   * `makeTrustedEvent` for the bulk load, whose tests prove the two make the
   * same rows.
   */
  makeEvent?: EventMaker;
}

export interface BackfillWeek {
  week: number;
  studies: number;
  events: AifiEvent[];
}

const iso = (ms: number) => isoTime(Math.round(ms));
/** From a study's arrival to its study.received event: the orchestrator's quiet period, as the backfill takes it. */
const RECEIPT_DELAY_MS = 3_000;

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
  private readonly network: Network;
  private readonly make: EventMaker;
  private readonly behaviours = new Map<string, VendorBehaviour>();
  readonly endsAt: number;
  /** `endsAt` as the events' ISO times, which compare as strings in time order. */
  private readonly endsAtIso: string;

  constructor(private readonly options: BackfillOptions) {
    this.timeline = new Timeline(options.scenario);
    this.network = networkOf(options.scenario);
    this.make = options.makeEvent ?? makeEvent;
    this.hospitals = new Map((options.hospitals ?? this.network.hospitals.hospitals).map((h) => [h.id, h]));
    this.truth = new TruthBook(options.scenario, options.seed, options.weeks, this.timeline);
    this.startsAt = startMs(options.scenario.start);
    this.endsAt = this.startsAt + options.weeks * WEEK_MS;
    this.endsAtIso = isoTime(this.endsAt);
    for (const h of this.network.workload) {
      for (const [product, users] of Object.entries(h.users) as [ProductId, number][]) {
        const random = new Random(`${options.seed}|users|${h.id}|${product}`);
        const [a, b] = PRODUCT_BASELINE[product].propensity;
        this.propensities.set(`${h.id}|${product}`, Array.from({ length: users }, () => random.beta(a, b)));
      }
    }
  }

  /** The ids of the simulated hospitals, in the network's order. */
  get hospitalIds(): string[] {
    return this.network.workload.map((h) => h.id);
  }

  *weeks(): Generator<BackfillWeek> {
    for (let week = 0; week < this.options.weeks; week++) {
      const plans = studiesOfWeek(this.options.scenario, this.timeline, this.options.seed, week);
      const events: AifiEvent[] = [];
      for (const plan of plans) events.push(...this.studyEvents(plan));
      for (const h of this.hospitalIds) events.push(...this.heartbeats(week, h));
      yield { week, studies: plans.length, events: events.filter((e) => Date.parse(e.occurred_at) < this.endsAt) };
    }
  }

  /**
   * One hospital's events of one week (its studies and its heartbeats): the
   * same events `weeks()` makes for it, for a loader that splits the work.
   * Each event goes to `each` as it is made, so that a week of a large
   * hospital is never held at once; returns the number of studies.
   */
  hospitalWeek(week: number, hospital: string, each: (event: AifiEvent) => void): number {
    const plans = this.network.studiesOfHospitalWeek(this.options.scenario, this.timeline, this.options.seed, week, hospital);
    for (const plan of plans) for (const e of this.studyEvents(plan)) if (e.occurred_at < this.endsAtIso) each(e);
    for (const e of this.heartbeats(week, hospital)) if (e.occurred_at < this.endsAtIso) each(e);
    return plans.length;
  }

  private heartbeats(week: number, hospital: string): AifiEvent[] {
    const events: AifiEvent[] = [];
    const from = startMs(this.options.scenario.start) + week * WEEK_MS;
    const outages = this.timeline.outages(hospital);
    for (let t = from; t < from + WEEK_MS; t += TIMING.heartbeatEveryMs) {
      const down = outages.some(([a, b]) => t >= a && t < b);
      events.push(
        this.make('gateway.heartbeat', {
          event_id: uuidv7For(`${this.options.seed}|hb|${hospital}|${t}`, t),
          occurred_at: iso(t),
          hospital,
          source: BACKFILL_SOURCE,
          component: 'pacs-gateway',
          status: down ? 'down' : 'up',
        }),
      );
    }
    return events;
  }

  /**
   * Everything that happens to one study, from arrival to the last verdict. A study acquired in the
   * period but received after its end (sent late on its last day) is not made, nor counted in the
   * truth: none of its events would be in the period.
   */
  studyEvents(plan: StudyPlan): AifiEvent[] {
    const hospital = this.hospitals.get(plan.hospital.id)!;
    const seed = this.options.seed;
    if (Math.round(plan.arrivesAt + RECEIPT_DELAY_MS) >= this.endsAt) return [];
    const random = new Random(`${seed}|study|${plan.id}`);
    const studyKey = digest(`${seed}|study|${plan.id}`);
    // The orchestrator puts the trace id of a study's span on its events; the backfill makes one up.
    const common = { hospital: hospital.id, source: BACKFILL_SOURCE, study_key: studyKey, trace_id: digest(`${seed}|trace|${plan.id}`).slice(0, 32) };
    const events: AifiEvent[] = [];
    let n = 0;
    const id = (t: number) => uuidv7For(`${seed}|${plan.id}|${n++}`, t);
    const receivedAt = plan.arrivesAt + RECEIPT_DELAY_MS;
    events.push(
      this.make('study.received', {
        ...common,
        event_id: id(receivedAt),
        occurred_at: iso(receivedAt),
        patient_key: digest(`${seed}|patient|${plan.id}`),
        accession_key: this.accessionKey(plan),
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
    const decisions = routeContracted(
      { modality: plan.modality, bodyPart: plan.bodyPart, ageYears: plan.ageYears, contrast: plan.contrast, descriptions: plan.description.toUpperCase() },
      hospital,
    );
    const routedAt = receivedAt + 2;
    for (const d of decisions) {
      events.push(this.make('study.routed', { ...common, event_id: id(routedAt), occurred_at: iso(routedAt), product: d.product, outcome: d.outcome, rule: d.rule, reason: d.reason, routing_ms: 2 }));
    }
    const readings: ProductReading[] = [];
    for (const d of decisions.filter((x) => x.outcome === 'routed')) events.push(...this.productEvents(plan, hospital, d.product, routedAt, common, random, id, readings));
    events.push(...this.reportEvents(plan, readings));
    return events;
  }

  /** The accession number's pseudonym, on the study and on its reports. */
  accessionKey(plan: StudyPlan): string {
    return digest(`${this.options.seed}|accession|${plan.id}`);
  }

  /** The RIS's report of the study (preliminary, final, amended), from its own random stream; see ris-reports.ts. */
  reportPlan(plan: StudyPlan, readings: readonly ProductReading[]) {
    const random = new Random(`${this.options.seed}|report|${plan.id}`);
    const report = planReport(random, plan.urgency, plan.arrivesAt, readings);
    const reader = digest(`${this.options.seed}|radiologist|${plan.hospital.id}|${random.int(40)}`);
    return { ...report, reader };
  }

  private reportEvents(plan: StudyPlan, readings: readonly ProductReading[]): AifiEvent[] {
    const report = this.reportPlan(plan, readings);
    return report.statuses.map((s, i) =>
      this.make('report.signed', {
        event_id: uuidv7For(`${this.options.seed}|${plan.id}|report|${i}`, s.at),
        occurred_at: iso(s.at),
        hospital: plan.hospital.id,
        source: BACKFILL_SOURCE,
        accession_key: this.accessionKey(plan),
        status: s.status,
        reader_key: report.reader,
        ...(report.coded && s.status !== 'preliminary' ? { finding_concept: report.coded.concept, finding: report.coded.finding } : {}),
      }),
    );
  }

  private productEvents(
    plan: StudyPlan,
    hospital: Hospital,
    product: ProductId,
    routedAt: number,
    common: { hospital: string; source: string; study_key: string; trace_id: string },
    random: Random,
    id: (t: number) => string,
    readings: ProductReading[] = [],
  ): AifiEvent[] {
    const base = PRODUCT_BASELINE[product];
    const t = this.timeline;
    const at = plan.arrivesAt;
    const behaviour = this.behaviour(
      product,
      t.text('model_version', hospital.id, product, at, base.modelVersion),
      t.number('sensitivity', hospital.id, product, at, base.sensitivity),
      t.number('specificity', hospital.id, product, at, base.specificity),
    );
    const finding = truthFor(plan, product);
    const events: AifiEvent[] = [];
    const p = { ...common, product };
    const queuedMs = Math.round(random.logNormal(1_500, 0.5));
    let clock = routedAt + queuedMs;
    events.push(this.make('inference.requested', { ...p, event_id: id(clock), occurred_at: iso(clock), attempt: 1, queued_ms: queuedMs }));
    let attempt = 1;
    if (random.chance(0.02)) {
      // A transient vendor timeout, then a successful retry.
      clock += 120_000;
      events.push(this.make('inference.failed', { ...p, event_id: id(clock), occurred_at: iso(clock), error_class: 'timeout', retryable: true, attempt, final: false, total_ms: clock - routedAt }));
      attempt = 2;
      clock += 1_000;
      events.push(this.make('inference.requested', { ...p, event_id: id(clock), occurred_at: iso(clock), attempt, queued_ms: queuedMs }));
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
        image_content: encodeTruth({ finding, boneAgeYears: plan.truth.boneAgeYears }),
      },
      behaviour,
    );
    events.push(inferenceCompletedEvent({ ...p, event_id: id(clock), occurred_at: iso(clock) }, result, { attempt, queuedMs, inferenceMs, totalMs: clock - routedAt }, this.make));
    // Before its go-live (a scenario's go_live change) a product runs unseen: nothing delivered, nothing viewed.
    const live = t.live(hospital.id, product, at);
    const delivers = live && Boolean(hospital.products[product]?.deliver);
    const deliveryMs = delivers ? Math.round(random.logNormal(TIMING.deliveryMedianMs, 0.5)) : 0;
    clock += deliveryMs;
    events.push(
      this.make('result.delivered', {
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
    const viewProbability = live ? Math.min(1, users[reader]! * adoption * (delivers ? 1 : base.offPacsFactor)) : 0;
    const viewed = random.chance(viewProbability);
    const readerKey = digest(`${this.options.seed}|user|${hospital.id}|${product}|${reader}`);
    this.truth.record(plan, product, finding, { viewProbability, viewed, sensitivity: behaviour.sensitivity, specificity: behaviour.specificity, modelVersion: behaviour.model_version });
    let readAt = clock + random.logNormal(TIMING.viewMedianMs[plan.urgency], 0.8);
    readings.push({ product, readAt, viewed, finding });
    if (viewed) {
      const role = product === 'rbfracture' && plan.urgency === 'acute' && random.chance(0.5) ? 'clinician' : 'radiologist';
      events.push(this.make('result.viewed', { ...p, event_id: id(readAt), occurred_at: iso(readAt), user_key: readerKey, role }));
    }
    if (random.chance(TIMING.verdictShare)) {
      readAt += random.chance(TIMING.verdictSameDayShare) ? random.logNormal(30 * 60_000, 0.8) : (7 + random.int(35)) * 24 * 3600_000;
      const binary = isBinaryProduct(product);
      const readerValue = plan.truth.boneAgeYears === null ? null : Number((plan.truth.boneAgeYears + random.normal(0, 0.3)).toFixed(2));
      events.push(
        this.make('verdict.recorded', {
          ...p,
          event_id: id(readAt),
          occurred_at: iso(readAt),
          reader_key: readerKey,
          ...(binary ? { label: finding } : { value: readerValue ?? 0 }),
          agreement: binary ? result.finding === finding : Math.abs((result.value ?? 0) - (readerValue ?? 0)) <= 1,
        }),
      );
    }
    return events;
  }

  /** The simulated model's behaviour for the settings in force; one parse per distinct setting. */
  private behaviour(product: ProductId, modelVersion: string, sensitivity: number, specificity: number): VendorBehaviour {
    const key = `${product}|${modelVersion}|${sensitivity}|${specificity}`;
    let b = this.behaviours.get(key);
    if (!b) {
      const base = PRODUCT_BASELINE[product];
      b = vendorBehaviour.parse({ model_version: modelVersion, sensitivity, specificity, bias_years: base.biasYears, sd_years: base.sdYears, seed: `${this.options.seed}|${product}` });
      this.behaviours.set(key, b);
    }
    return b;
  }
}
