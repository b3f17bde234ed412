import { isBinaryProduct, PRODUCTS, type ProductId } from '../events/index.ts';
import { encodeMultipart, syntheticStudy, type HospitalsFile } from '../orchestrator/index.ts';
import { encodeTruth, Random, type SimulatedVendor } from '../vendors/index.ts';
import { PRODUCT_BASELINE, TIMING } from './pilot.ts';
import { planReport } from './ris-reports.ts';
import { oruMessage, RisSender } from './ris-sender.ts';
import type { Scenario } from './scenario.ts';
import { startSimulatedPacs, type ReceivedResult } from './simulated-pacs.ts';
import { startMs, Timeline } from './timeline.ts';
import { networkOf, studiesOfWeek } from './network.ts';
import { truthFor, WEEK_MS, type StudyPlan } from './workload.ts';

export interface LiveOptions {
  scenario: Scenario;
  seed: string | number;
  /** Simulated milliseconds per real millisecond (120: an hour of pilot in 30 s). */
  acceleration: number;
  /** The simulated week the live run starts at (after a backfill, the week after it). */
  startWeek: number;
  /** The simulated time to begin at, within the start week (default: the week's start). */
  from?: number;
  /** Stop after this many studies (for tests); runs on otherwise. */
  maxStudies?: number;
  log: { warn: (o: object, m: string) => void };
}

export interface LiveStats {
  sent: number;
  failed: number;
  results: number;
  views: number;
  verdicts: number;
  /** Report messages the simulated RIS sent by MLLP and had acknowledged AA. */
  reports: number;
}

const ageString = (years: number) => (years >= 2 ? `${String(Math.floor(years)).padStart(3, '0')}Y` : `${String(Math.floor(years * 12)).padStart(3, '0')}M`);
const dicomDate = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
const dicomTime = (ms: number) => new Date(ms).toISOString().slice(11, 19).replace(/:/g, '');

/**
 * The pilot live, through the orchestrator's real interfaces: each simulated
 * study is made as DICOM and sent by STOW-RS at its (accelerated) time; the
 * results come back into a simulated PACS per hospital, where simulated readers
 * look at them and give verdicts through the usage and verdict endpoints.
 */
export class LiveSimulation {
  readonly stats: LiveStats = { sent: 0, failed: 0, results: 0, views: 0, verdicts: 0, reports: 0 };
  private readonly timeline: Timeline;
  private readonly plans = new Map<string, { plan: StudyPlan; uid: string }>();
  private timer: NodeJS.Timeout | null = null;
  private pacs: Awaited<ReturnType<typeof startSimulatedPacs>> | null = null;
  private queue: StudyPlan[] = [];
  private week: number;
  private readonly simulatedStart: number;
  private realStart = 0;
  private target: { url: string; tokens: Map<string, string> } | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private vendors: Map<ProductId, SimulatedVendor> = new Map();
  private tunedAt = -Infinity;
  private studiesSeen = 0;
  private ris: RisSender | null = null;
  /** Studies whose report is planned (the first result that came back plans it). */
  private readonly reported = new Set<string>();

  constructor(private readonly options: LiveOptions) {
    this.timeline = new Timeline(options.scenario);
    this.week = options.startWeek;
    this.simulatedStart = options.from ?? startMs(options.scenario.start) + options.startWeek * WEEK_MS;
  }

  /** Starts the simulated PACS; returns the hospitals with their PACS pointed at it, for the stack to use. */
  async preparePacs(hospitals: HospitalsFile = networkOf(this.options.scenario).hospitals): Promise<HospitalsFile> {
    this.pacs = await startSimulatedPacs((result) => this.onResult(result));
    const url = this.pacs.url;
    return { hospitals: hospitals.hospitals.map((h) => ({ ...h, pacs: { via: 'stow' as const, url: `${url}/${h.id}`, headers: {} } })) };
  }

  /**
   * Begins sending studies to the stack at `url`, with each hospital's gateway
   * token; with `ris`, the simulated RIS sends each study's reports there by
   * MLLP (HL7 v2 ORU^R01).
   */
  start(url: string, tokens: Map<string, string>, vendors: Map<ProductId, SimulatedVendor> = new Map(), ris?: { host: string; port: number }): void {
    this.target = { url, tokens };
    if (ris) this.ris = new RisSender(ris.host, ris.port);
    this.vendors = vendors;
    this.realStart = Date.now();
    this.timer = setInterval(() => this.tick(), 100);
    this.timer.unref();
  }

  /** The simulated time now. */
  now(): number {
    return this.simulatedStart + (Date.now() - this.realStart) * this.options.acceleration;
  }

  get finished(): boolean {
    return this.capped && this.queue.length === 0;
  }

  /** Whether the studies to send (`maxStudies`) have all been sent. */
  private get capped(): boolean {
    return this.options.maxStudies !== undefined && this.studiesSeen >= this.options.maxStudies;
  }

  private tick(): void {
    const now = this.now();
    this.tuneVendors(now);
    // Once the last study is sent no further week is planned: `finished` holds from the next tick on
    // (a refilled queue would hold it false until a study of the next week was due).
    if (this.capped) {
      this.queue = [];
      return;
    }
    while (this.queue.length === 0 || this.queue[this.queue.length - 1]!.arrivesAt < now) {
      const next = studiesOfWeek(this.options.scenario, this.timeline, this.options.seed, this.week++);
      this.queue.push(...next);
      if (next.length === 0) break;
    }
    while (this.queue.length > 0 && this.queue[0]!.arrivesAt <= now) {
      const plan = this.queue.shift()!;
      if (plan.arrivesAt < this.simulatedStart) continue;
      if (this.options.maxStudies !== undefined && this.studiesSeen >= this.options.maxStudies) {
        this.queue = [];
        break;
      }
      this.studiesSeen++;
      this.track(this.send(plan));
    }
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async send(plan: StudyPlan): Promise<void> {
    const target = this.target!;
    const acute = plan.urgency === 'acute';
    // The stack stamps every event on the real clock, so the modality does too: the study was
    // acquired as long before this sending as the plan has it (in UTC, and said so).
    const acquiredAt = Date.now() - (plan.arrivesAt - plan.acquiredAt);
    const study = syntheticStudy({
      modality: plan.modality,
      bodyPart: plan.bodyPart,
      patientAge: ageString(plan.ageYears),
      sex: plan.sex,
      patientName: `Sim^${plan.id}`,
      patientId: `SIM-${plan.id}`,
      accessionNumber: `A${plan.id}`.slice(0, 16),
      studyDescription: plan.description,
      studyDate: dicomDate(acquiredAt),
      studyTime: dicomTime(acquiredAt),
      timezoneOffset: '+0000',
      manufacturer: plan.manufacturer,
      deviceModel: plan.deviceModel,
      ...(plan.contrast ? { contrastAgent: 'IOMERON 350' } : {}),
      ...(acute ? { priority: 'STAT' as const, requestingService: 'SEH' } : {}),
      imageComments: encodeTruth(plan.truth),
      instances: Math.min(plan.instanceCount, 3),
      rows: 16,
      columns: 16,
    });
    this.plans.set(`${plan.hospital.id}|${study.studyInstanceUid}`, { plan, uid: study.studyInstanceUid });
    const { body, contentType } = encodeMultipart(study.files.map((f) => ({ contentType: 'application/dicom', body: f })));
    try {
      const response = await fetch(`${target.url}/dicomweb/studies`, {
        method: 'POST',
        body,
        headers: {
          authorization: `Bearer ${target.tokens.get(plan.hospital.id)}`,
          'content-type': contentType,
          'x-aifi-send-mode': plan.sendMode,
        },
      });
      if (response.status !== 200) throw new Error(`STOW-RS answered ${response.status}`);
      this.stats.sent++;
    } catch (error) {
      this.stats.failed++;
      this.options.log.warn({ study: plan.id, reason: (error as Error).message }, 'simulated study not sent');
    }
  }

  /** A result reached a hospital's PACS: a reader may look at it, and gives a verdict. */
  private onResult(result: ReceivedResult): void {
    this.stats.results++;
    const entry = this.plans.get(`${result.hospital}|${result.studyInstanceUid}`);
    const product = (Object.keys(PRODUCTS) as ProductId[]).find((p) => PRODUCTS[p].name === result.algorithm);
    if (!entry || !product || !this.target) return;
    const { plan } = entry;
    const random = new Random(`${this.options.seed}|live|${plan.id}|${product}`);
    const [a, b] = PRODUCT_BASELINE[product].propensity;
    const adoption = this.timeline.number('adoption', plan.hospital.id, product, this.now(), 1);
    const reader = `sim-reader-${plan.hospital.id}-${random.int(plan.hospital.users[product] ?? 1)}`;
    const viewed = random.chance(Math.min(1, random.beta(a, b) * adoption));
    const viewDelay = random.logNormal(TIMING.viewMedianMs[plan.urgency], 0.8) / this.options.acceleration;
    const binary = isBinaryProduct(product);
    const finding = truthFor(plan, product);
    const readerValue = plan.truth.boneAgeYears === null ? 0 : Number(plan.truth.boneAgeYears.toFixed(1));
    const agreement = binary ? result.finding === finding : Math.abs((result.value ?? 0) - readerValue) <= 1;
    const post = (path: string, body: object) =>
      fetch(`${this.target!.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.target!.tokens.get(plan.hospital.id)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => {
        if (r.status !== 202) throw new Error(`${path} answered ${r.status}`);
      });
    const later = (ms: number, work: () => Promise<void>) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(work().catch((error) => this.options.log.warn({ reason: (error as Error).message }, 'simulated reader could not report')));
      }, Math.min(ms, 60_000));
      timer.unref();
      this.timers.add(timer);
    };
    if (this.ris && !this.reported.has(plan.id)) {
      this.reported.add(plan.id);
      this.planLiveReport(plan, product, viewed, viewDelay, finding, later);
    }
    if (viewed) {
      later(viewDelay, async () => {
        await post('/v1/usage', { id: `${plan.id}-${product}-view`, study_instance_uid: entry.uid, product, user_id: reader, role: 'radiologist', at: new Date().toISOString() });
        this.stats.views++;
      });
    }
    if (random.chance(TIMING.verdictShare)) {
      later(viewDelay * 2, async () => {
        await post('/v1/verdicts', {
          id: `${plan.id}-${product}-verdict`,
          study_instance_uid: entry.uid,
          product,
          reader_id: reader,
          ...(binary ? { label: finding } : { value: readerValue }),
          agreement,
          at: new Date().toISOString(),
        });
        this.stats.verdicts++;
      });
    }
  }

  /**
   * The RIS's report of a live study, planned when its first result comes back
   * (the reading of that product only), on the accelerated clock like
   * everything after the sending: the reader starts when the result was
   * looked at, or would have been, and signs the product's true effect sooner
   * after looking (divided by the acceleration, as every duration here is).
   */
  private planLiveReport(plan: StudyPlan, product: ProductId, viewed: boolean, viewDelayMs: number, finding: 'positive' | 'negative', later: (ms: number, work: () => Promise<void>) => void): void {
    const simNow = this.now();
    const readAt = simNow + viewDelayMs * this.options.acceleration;
    const report = planReport(new Random(`${this.options.seed}|live-report|${plan.id}`), plan.urgency, plan.arrivesAt, [{ product, readAt, viewed, finding }]);
    const reader = `sim-radiologist-${plan.hospital.id}-${plan.id.length % 7}`;
    const viewAfter = Math.min(viewDelayMs, 60_000);
    for (const [i, s] of report.statuses.entries()) {
      const after = viewAfter + Math.min((s.at - readAt) / this.options.acceleration, 60_000);
      later(after, async () => {
        const ack = await this.ris!.send(
          oruMessage({
            facility: plan.hospital.id,
            controlId: `${plan.id}-report-${i}`,
            accession: `A${plan.id}`.slice(0, 16),
            status: s.status,
            at: Date.now(),
            readerId: reader,
            patientName: `Sim^${plan.id}`,
            text: 'Simulated report text.',
            ...(report.coded && s.status !== 'preliminary' ? { finding: report.coded } : {}),
          }),
        );
        if (ack.code !== 'AA') throw new Error(`the report was answered ${ack.code}: ${ack.text}`);
        this.stats.reports++;
      });
    }
  }

  /**
   * Keeps the simulated vendors in step with the scenario: model version,
   * performance per hospital, and latency scaled to the accelerated clock.
   */
  private tuneVendors(now: number): void {
    if (now - this.tunedAt < 3600_000) return;
    this.tunedAt = now;
    for (const [product, vendor] of this.vendors) {
      const base = PRODUCT_BASELINE[product];
      const t = this.timeline;
      vendor.setBehaviour({
        model_version: t.text('model_version', '', product, now, base.modelVersion),
        sensitivity: base.sensitivity,
        specificity: base.specificity,
        sd_years: base.sdYears,
        latency_median_ms: (base.inferenceMedianMs * t.number('latency', '', product, now, 1)) / this.options.acceleration,
        latency_sigma: base.inferenceSigma,
        overrides: networkOf(this.options.scenario).hospitals.hospitals.map((h) => ({
          hospital: h.id,
          sensitivity: t.number('sensitivity', h.id, product, now, base.sensitivity),
          specificity: t.number('specificity', h.id, product, now, base.specificity),
        })),
      });
    }
  }

  /** Stops sending, drops readers' pending reports and waits for requests in flight. The simulated PACS stays up (close it after the stack). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.pending]);
  }

  /** Closes the simulated PACS: after the stack, so that results in flight still find it. */
  async close(): Promise<void> {
    await this.stop();
    await this.ris?.close();
    this.ris = null;
    await this.pacs?.close();
    this.pacs = null;
  }
}

