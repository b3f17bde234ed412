import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { startDimseScp, type DimseScp } from './dimse-scp.ts';
import { EventEmitter, type EmitterOptions } from './event-emitter.ts';
import type { EventSink } from './event-sink.ts';
import { GatewayTokens } from './gateway-tokens.ts';
import type { HospitalsFile } from './hospitals.ts';
import { Pseudonymizer } from './pseudonymizer.ts';
import type { HospitalSecrets } from './secrets.ts';
import { stowRoutes } from './stow-route.ts';
import { StudyIntake, type RoutedStudy } from './study-intake.ts';

export interface OrchestratorOptions {
  hospitals: HospitalsFile;
  secrets: Map<string, HospitalSecrets>;
  sink: EventSink;
  log: FastifyBaseLogger;
  /** Quiet period after which a study is complete. */
  quietMs: number;
  maxStowBytes: number;
  /** The C-STORE SCP; null to run without one. */
  dicom: { host: string; port: number; aeTitle: string } | null;
  emitter?: EmitterOptions;
  onRouted?: (study: RoutedStudy) => void;
}

export interface Orchestrator {
  intake: StudyIntake;
  emitter: EventEmitter;
  /** The port the DICOM receiver listens on, or null. */
  dicomPort: number | null;
  /** Registers the HTTP endpoints (DICOMweb STOW-RS). */
  routes: (app: FastifyInstance) => Promise<void>;
  /** Stops the DICOM receiver, completes open studies, hands over their events, closes the sink. */
  close: () => Promise<void>;
}

export async function createOrchestrator(options: OrchestratorOptions): Promise<Orchestrator> {
  const emitter = new EventEmitter(options.sink, options.log, options.emitter);
  const pseudonymizer = new Pseudonymizer(new Map([...options.secrets].map(([id, s]) => [id, s.pseudonym_key])));
  const tokens = new GatewayTokens([...options.secrets].map(([id, s]) => [id, s.token] as [string, string]));
  const intake = new StudyIntake({
    hospitals: options.hospitals,
    pseudonymizer,
    emitter,
    quietMs: options.quietMs,
    log: options.log,
    onRouted: options.onRouted,
  });
  let scp: DimseScp | null = null;
  if (options.dicom) scp = await startDimseScp({ intake, ...options.dicom, log: options.log });
  let closed = false;
  return {
    intake,
    emitter,
    dicomPort: scp?.port ?? null,
    routes: (app) => stowRoutes(app, { intake, tokens, maxBodyBytes: options.maxStowBytes }),
    close: async () => {
      if (closed) return;
      closed = true;
      await scp?.close();
      await intake.flush();
      await options.sink.close();
    },
  };
}
