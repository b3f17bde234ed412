import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { startDimseScp, type DimseScp } from './dimse-scp.ts';
import { EventEmitter, type EmitterOptions } from './event-emitter.ts';
import type { EventSink } from './event-sink.ts';
import { GatewayAuth, GatewayTokens } from './gateway-tokens.ts';
import type { HospitalsFile } from './hospitals.ts';
import { Pseudonymizer } from './pseudonymizer.ts';
import type { HospitalSecrets } from './secrets.ts';
import { stowRoutes } from './stow-route.ts';
import { StudyIntake, type RoutedStudy } from './study-intake.ts';
import { Dispatcher, type RetryPolicy } from './dispatcher.ts';
import { usageRoutes } from './usage-routes.ts';
import { fhirReportRoutes } from './report-fhir.ts';
import { startHl7Listener, type Hl7Listener } from './report-hl7.ts';
import { ReportIntake } from './report-intake.ts';
import { HttpVendorAdapter, type VendorAdapter } from './vendor-adapter.ts';
import type { ProductId } from '../events/index.ts';

export interface OrchestratorOptions {
  hospitals: HospitalsFile;
  secrets: Map<string, HospitalSecrets>;
  sink: EventSink;
  log: FastifyBaseLogger;
  /** Quiet period after which a study is complete. */
  quietMs: number;
  maxStowBytes: number;
  /** STOW-RS uploads read at once (default 4); more wait unread. */
  stowConcurrency?: number;
  /** The C-STORE SCP; null to run without one. */
  dicom: { host: string; port: number; aeTitle: string } | null;
  /** The HL7 v2 (MLLP) receiver of the RIS's reports; null to run without one. */
  hl7?: { host: string; port: number } | null;
  emitter?: EmitterOptions;
  /** Each product's vendor service (URL of the vendor protocol, or an adapter); a product without one fails its jobs. */
  vendors?: Map<ProductId, string | VendorAdapter>;
  inference?: Partial<RetryPolicy>;
  delivery?: Partial<RetryPolicy>;
  circuit?: { threshold: number; openMs: number };
  /** Called for each routed study after dispatch (the simulator listens). */
  onRouted?: (study: RoutedStudy) => void;
}

export interface Orchestrator {
  intake: StudyIntake;
  emitter: EventEmitter;
  dispatcher: Dispatcher;
  /** The port the DICOM receiver listens on, or null. */
  dicomPort: number | null;
  /** The RIS's reports (HL7 v2 and FHIR), and the port the MLLP receiver listens on, or null. */
  reports: ReportIntake;
  hl7Port: number | null;
  /** Registers the HTTP endpoints (DICOMweb STOW-RS; usage, verdicts, manual send). */
  routes: (app: FastifyInstance) => Promise<void>;
  /** Stops the DICOM receiver, completes open studies, hands over their events, closes the sink. */
  close: () => Promise<void>;
}

export async function createOrchestrator(options: OrchestratorOptions): Promise<Orchestrator> {
  const emitter = new EventEmitter(options.sink, options.log, options.emitter);
  const pseudonymizer = new Pseudonymizer(new Map([...options.secrets].map(([id, s]) => [id, s.pseudonym_key])));
  const tokens = new GatewayTokens([...options.secrets].map(([id, s]) => [id, s.token] as [string, string]));
  const adapters = new Map<ProductId, VendorAdapter>(
    [...(options.vendors ?? new Map())].map(([product, v]) => [product, typeof v === 'string' ? new HttpVendorAdapter(v) : v]),
  );
  const dispatcher = new Dispatcher({
    adapters,
    emitter,
    log: options.log,
    inference: { maxAttempts: 3, timeoutMs: 120_000, baseDelayMs: 1_000, ...options.inference },
    delivery: { maxAttempts: 5, timeoutMs: 30_000, baseDelayMs: 1_000, ...options.delivery },
    circuit: options.circuit,
    callingAe: options.dicom?.aeTitle ?? 'AIFI',
  });
  const intake = new StudyIntake({
    hospitals: options.hospitals,
    pseudonymizer,
    emitter,
    quietMs: options.quietMs,
    log: options.log,
    onRouted: (study) => {
      dispatcher.dispatch(study);
      options.onRouted?.(study);
    },
  });
  let scp: DimseScp | null = null;
  if (options.dicom) scp = await startDimseScp({ intake, ...options.dicom, log: options.log });
  const reports = new ReportIntake({ hospitals: options.hospitals, pseudonymizer, emitter });
  let hl7: Hl7Listener | null = null;
  if (options.hl7) hl7 = await startHl7Listener({ intake: reports, ...options.hl7, log: options.log });
  let closed = false;
  return {
    intake,
    emitter,
    dispatcher,
    dicomPort: scp?.port ?? null,
    reports,
    hl7Port: hl7?.port ?? null,
    routes: async (app) => {
      const auth = new GatewayAuth(tokens, (id) => intake.hospital(id));
      await stowRoutes(app, { intake, auth, maxBodyBytes: options.maxStowBytes, concurrency: options.stowConcurrency });
      await usageRoutes(app, { intake, auth, pseudonymizer, emitter });
      await fhirReportRoutes(app, { intake: reports, tokens });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await scp?.close();
      await hl7?.close();
      await intake.flush();
      await dispatcher.drain();
      await emitter.drain();
      await options.sink.close();
    },
  };
}
