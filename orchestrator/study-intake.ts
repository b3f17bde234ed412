import { trace, type Tracer } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import { makeEvent, type AifiEvent, type ProductId } from '../events/index.ts';
import { dicomDateTimeToIso, dicomDtToIso } from './dicom-time.ts';
import type { InstanceHeader } from './dicom-header.ts';
import type { EventEmitter } from './event-emitter.ts';
import type { Hospital, HospitalsFile } from './hospitals.ts';
import { instancesReceived, intakeSeconds, lateInstances, openStudies, routingDecisions, routingSeconds, studiesReceived } from './metrics.ts';
import { ageInYears } from './patient-age.ts';
import type { Pseudonymizer } from './pseudonymizer.ts';
import { routeContracted, type RoutingDecision, type StudyFacts } from './routing-rules.ts';
import { StudyAssembler, type AddOutcome, type AssembledStudy, type SendMode, type StudyInstances } from './study-assembler.ts';

export type Channel = 'stow' | 'dimse';

/** A study that the rules sent to one or more products, for the dispatcher. */
export interface RoutedStudy {
  hospital: Hospital;
  studyKey: string;
  /** The first instance's header: what the vendor job and the result object are made from. Never emitted. */
  header: InstanceHeader;
  ageYears: number | null;
  instanceCount: number;
  /** The study's instances when it was routed: what a result object references as its evidence. */
  instances: StudyInstances;
  products: ProductId[];
  traceId: string | undefined;
  receivedAt: number;
  routedAt: number;
}

export class UnknownStudyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownStudyError';
  }
}

export interface StudyIntakeOptions {
  hospitals: HospitalsFile;
  pseudonymizer: Pseudonymizer;
  emitter: EventEmitter;
  quietMs: number;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  maxOpenStudies?: number;
  source?: string;
  tracer?: Tracer;
  onRouted?: (study: RoutedStudy) => void;
}

const clean = (value: string, max: number) => value.replace(/[\u0000-\u001f]/g, ' ').trim().slice(0, max);
const ACUTE_PRIORITIES = new Set(['STAT', 'HIGH', 'ASAP']);

/**
 * The orchestrator's intake: instances in, studies out. It registers each
 * instance, and when a study is complete pseudonymises it, applies the routing
 * rules and emits `study.received` and one `study.routed` per product. Nothing
 * identifying enters an event.
 */
export class StudyIntake {
  private readonly assembler: StudyAssembler;
  private readonly byId: Map<string, Hospital>;
  private readonly byAeTitle: Map<string, { hospital: Hospital; sendMode: SendMode }>;
  private readonly source: string;
  private readonly tracer: Tracer;

  constructor(private readonly options: StudyIntakeOptions) {
    this.source = options.source ?? 'orchestrator';
    this.tracer = options.tracer ?? trace.getTracer('aifi-orchestrator');
    this.byId = new Map(options.hospitals.hospitals.map((h) => [h.id, h]));
    this.byAeTitle = new Map(
      options.hospitals.hospitals.flatMap((h) => Object.entries(h.aeTitles).map(([ae, sendMode]) => [ae, { hospital: h, sendMode }] as const)),
    );
    this.assembler = new StudyAssembler({
      quietMs: options.quietMs,
      maxOpenStudies: options.maxOpenStudies,
      onComplete: (study) => this.safely(() => this.completed(study, false)),
      onLate: (study) => this.safely(() => this.completed(study, true)),
    });
  }

  hospital(id: string): Hospital | undefined {
    return this.byId.get(id);
  }

  /** The hospital and send mode a calling AE title stands for. */
  callingAe(aeTitle: string): { hospital: Hospital; sendMode: SendMode } | undefined {
    return this.byAeTitle.get(aeTitle.trim());
  }

  /** Registers one instance whose header has been read. */
  receive(hospital: Hospital, sendMode: SendMode, header: InstanceHeader, channel: Channel, startedAt = performance.now()): AddOutcome {
    const outcome = this.assembler.add(hospital, sendMode, header);
    openStudies.set(this.assembler.openStudies);
    instancesReceived.inc({ channel, outcome });
    intakeSeconds.observe({ channel }, (performance.now() - startedAt) / 1000);
    return outcome;
  }

  /** Counts an instance refused before registration (unreadable, missing UIDs, intake full). */
  refused(channel: Channel): void {
    instancesReceived.inc({ channel, outcome: 'failed' });
  }

  /** Completes every open study now and waits for their events to be handed over. */
  async flush(): Promise<void> {
    this.assembler.flush();
    openStudies.set(0);
    await this.options.emitter.drain();
  }

  private safely(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.options.log.error({ err: error }, 'a completed study could not be turned into events');
    }
  }

  /** A study is complete (or has grown by a late instance): its events, and the dispatcher's work when the rules route it. */
  private completed(study: AssembledStudy, amended: boolean): void {
    const started = performance.now();
    const span = this.tracer.startSpan(amended ? 'study.amended' : 'study', {
      startTime: study.firstReceivedAt,
      attributes: { 'aifi.hospital': study.hospital.id, 'aifi.instances': study.instances.size, 'aifi.modality': study.header.modality },
    });
    const traceId = validTraceId(span.spanContext().traceId);
    const known = studyFacts(study, this.options.pseudonymizer);
    const common = { hospital: study.hospital.id, source: this.source, study_key: known.studyKey, ...(traceId ? { trace_id: traceId } : {}) };
    const received = receivedEvent(study, known, common, amended, this.options.pseudonymizer);
    const decisions = amended ? [] : routeContracted(known.facts, study.hospital);
    const routed = routedEvents(decisions, common, Math.round(performance.now() - started));
    void this.options.emitter.emit([received, ...routed]);
    this.counted(study.hospital, decisions, amended, started);
    const products = routedProducts(decisions);
    span.setAttribute('aifi.routed', products.join(','));
    span.end();
    if (products.length > 0) this.options.onRouted?.(routedStudy(study, known, products, traceId));
  }

  private counted(hospital: Hospital, decisions: readonly RoutingDecision[], amended: boolean, started: number): void {
    if (amended) lateInstances.inc({ hospital: hospital.id });
    else studiesReceived.inc({ hospital: hospital.id });
    for (const d of decisions) routingDecisions.inc({ hospital: hospital.id, product: d.product, outcome: d.outcome });
    routingSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * A user asks for AI on a study the rules did not send (manual send mode):
   * records the decision as routed by `manual-request` and dispatches it.
   */
  sendManually(hospital: Hospital, studyInstanceUid: string, product: ProductId): RoutedStudy {
    const study = this.assembler.find(hospital.id, studyInstanceUid);
    if (!study) throw new UnknownStudyError(`no completed study ${studyInstanceUid} at ${hospital.id} (studies are remembered for a while after they complete)`);
    if (!hospital.products[product]) throw new UnknownStudyError(`${hospital.id} has no contract for ${product}`);
    const found = { ...study, hospital };
    const known = studyFacts(found, this.options.pseudonymizer);
    const decision: RoutingDecision = { product, outcome: 'routed', rule: 'manual-request', reason: 'sent by a user from the PACS' };
    void this.options.emitter.emit(routedEvents([decision], { hospital: hospital.id, source: this.source, study_key: known.studyKey }, 0));
    routingDecisions.inc({ hospital: hospital.id, product, outcome: 'routed' });
    const routed = routedStudy(found, known, [product], undefined);
    this.options.onRouted?.(routed);
    return routed;
  }
}

/** What the intake knows of a study once its identifiers are keyed: its pseudonym and what the routing rules read. */
export interface KnownStudy {
  studyKey: string;
  facts: StudyFacts;
}

/** The fields every event of a study carries. */
type StudyCommon = { hospital: string; source: string; study_key: string; trace_id?: string };

/** A span's trace id, when it is a real one (not the all-zero id of a disabled tracer). */
function validTraceId(traceId: string): string | undefined {
  return /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId) ? traceId : undefined;
}

/** The facts of a study: its keyed study id, and what the routing rules read of its first header. */
export function studyFacts(study: Pick<AssembledStudy, 'hospital' | 'header'>, pseudonymizer: Pseudonymizer): KnownStudy {
  const { hospital, header } = study;
  return {
    studyKey: pseudonymizer.pseudonym(hospital.id, 'study', header.studyInstanceUid),
    facts: {
      modality: header.modality,
      bodyPart: header.bodyPart,
      ageYears: ageInYears(header.patientAge, header.birthDate, header.studyDate),
      contrast: header.contrastAgent !== '',
      descriptions: header.descriptions,
    },
  };
}

/**
 * A study's `study.received` event: identifiers keyed, free text cleaned of
 * control characters and bounded, codes outside their vocabulary replaced
 * (modality OT, sex U), the urgency rule applied (an acute priority, or a
 * service the hospital counts as acute). An amended study is received when
 * its last instance came.
 */
export function receivedEvent(study: AssembledStudy, known: KnownStudy, common: StudyCommon, amended: boolean, pseudonymizer: Pseudonymizer): AifiEvent {
  const { hospital, header } = study;
  const accession = header.accessionNumber.trim();
  return makeEvent('study.received', {
    ...common,
    occurred_at: new Date(amended ? study.lastReceivedAt : study.firstReceivedAt),
    patient_key: pseudonymizer.pseudonym(hospital.id, 'patient', header.patientId || `unknown:${header.studyInstanceUid}`),
    ...(accession ? { accession_key: pseudonymizer.pseudonym(hospital.id, 'accession', accession) } : {}),
    modality: /^[A-Z]{2,4}$/.test(header.modality) ? header.modality : 'OT',
    body_part: clean(header.bodyPart, 64),
    age_years: known.facts.ageYears,
    sex: (['M', 'F', 'O'].includes(header.sex) ? header.sex : 'U') as 'M' | 'F' | 'O' | 'U',
    manufacturer: clean(header.manufacturer, 128),
    device_model: clean(header.deviceModel, 128),
    contrast: known.facts.contrast,
    urgency: ACUTE_PRIORITIES.has(header.priority) || hospital.acuteServices.includes(header.requestingService) ? 'acute' : 'routine',
    send_mode: study.sendMode,
    instance_count: study.instances.size,
    acquired_at: acquiredAt(header, hospital.timeZone),
    ...(amended ? { amended: true } : {}),
  });
}

/** One `study.routed` event per routing decision, its reason cleaned and bounded. */
export function routedEvents(decisions: readonly RoutingDecision[], common: StudyCommon, routingMs: number): AifiEvent[] {
  const at = new Date();
  return decisions.map((d) =>
    makeEvent('study.routed', { ...common, occurred_at: at, product: d.product, outcome: d.outcome, rule: d.rule, reason: clean(d.reason, 200), routing_ms: routingMs }),
  );
}

/** The products the decisions send the study to. */
export function routedProducts(decisions: readonly RoutingDecision[]): ProductId[] {
  return decisions.filter((d) => d.outcome === 'routed').map((d) => d.product);
}

/** The dispatcher's work for a routed study. */
function routedStudy(study: Pick<AssembledStudy, 'hospital' | 'header' | 'instances' | 'firstReceivedAt'>, known: KnownStudy, products: ProductId[], traceId: string | undefined): RoutedStudy {
  return {
    hospital: study.hospital,
    studyKey: known.studyKey,
    header: study.header,
    ageYears: known.facts.ageYears,
    instanceCount: study.instances.size,
    instances: new Map(study.instances),
    products,
    traceId,
    receivedAt: study.firstReceivedAt,
    routedAt: Date.now(),
  };
}

function acquiredAt(h: InstanceHeader, timeZone: string): string | null {
  if (h.acquisitionDateTime) return dicomDtToIso(h.acquisitionDateTime, timeZone);
  const offset = h.timezoneOffset;
  if (h.acquisitionDate) return dicomDateTimeToIso(h.acquisitionDate, h.acquisitionTime, timeZone, offset);
  if (h.studyDate) return dicomDateTimeToIso(h.studyDate, h.studyTime, timeZone, offset);
  return null;
}
