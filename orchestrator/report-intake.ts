import { findingConceptOf, InvalidEventError, makeEvent, uuidv7For, type EventOf, type FindingConcept } from '../events/index.ts';
import type { EventEmitter } from './event-emitter.ts';
import { SinkError } from './event-sink.ts';
import type { Hospital, HospitalsFile } from './hospitals.ts';
import type { Pseudonymizer } from './pseudonymizer.ts';

/**
 * A radiology report as the RIS says it, in the clear, before anything leaves
 * the orchestrator: by HL7 v2 (report-hl7.ts) or FHIR (report-fhir.ts). The
 * report's text is never part of it.
 */
export interface RisReport {
  /** What makes a repeat the same report: the HL7 message control id, or the FHIR report's identity and status. */
  idempotencyKey: string;
  accessionNumber: string;
  status: 'preliminary' | 'final' | 'amended';
  /** When the report reached the status, ISO-8601 UTC. */
  at: string;
  readerId?: string;
  /** A coded finding (SNOMED CT code, or the concept's name) and whether the report says it is there. */
  finding?: { code: string; present: boolean };
}

/** A report the RIS sent that cannot become an event, with the field and the reason: AE (HL7) or an OperationOutcome (FHIR). */
export class ReportRejected extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ReportRejected';
  }
}

/** The report could not be kept now (the sink is down or full): retry later; a retry is safe. */
export class ReportNotKept extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ReportNotKept';
  }
}

export interface ReportIntakeOptions {
  hospitals: HospitalsFile;
  pseudonymizer: Pseudonymizer;
  emitter: EventEmitter;
  source?: string;
}

/**
 * Turns a RIS report into a `report.signed` event at the edge (the accession
 * number and the reader become keyed hashes, the finding a concept) and hands
 * it over, resolving only once the event is stored or durably queued. The
 * event id comes from the hospital and the idempotency key, so a repeat makes
 * the same event, which storage keeps once.
 */
export class ReportIntake {
  private readonly byFacility = new Map<string, Hospital>();
  private readonly byId: Map<string, Hospital>;
  private readonly source: string;

  constructor(private readonly options: ReportIntakeOptions) {
    this.source = options.source ?? 'orchestrator';
    this.byId = new Map(options.hospitals.hospitals.map((h) => [h.id, h]));
    for (const h of options.hospitals.hospitals) {
      this.byFacility.set(h.id.toUpperCase(), h);
      for (const f of h.risFacilities) this.byFacility.set(f.toUpperCase(), h);
    }
  }

  /** The hospital a sending facility (HL7 MSH-4) stands for. */
  hospitalOfFacility(facility: string): Hospital | undefined {
    return this.byFacility.get(facility.trim().toUpperCase());
  }

  hospital(id: string): Hospital | undefined {
    return this.byId.get(id);
  }

  /** The event a report becomes; throws ReportRejected naming the field when it cannot. */
  event(hospital: Hospital, report: RisReport): EventOf<'report.signed'> {
    const accession = report.accessionNumber.trim();
    if (!accession) throw new ReportRejected('accession', 'the accession number is missing: a report is matched to its study by it');
    if (accession.length > 64) throw new ReportRejected('accession', 'the accession number is longer than 64 characters');
    let concept: FindingConcept | undefined;
    if (report.finding) {
      concept = findingConceptOf(report.finding.code);
      // A finding of another concept is not kept (no product looks for it); the report still is.
    }
    const p = this.options.pseudonymizer;
    const at = Date.parse(report.at);
    try {
      return makeEvent('report.signed', {
        event_id: uuidv7For(`${hospital.id}|report|${report.idempotencyKey}`, Number.isNaN(at) ? 0 : at),
        occurred_at: report.at,
        hospital: hospital.id,
        source: this.source,
        accession_key: p.pseudonym(hospital.id, 'accession', accession),
        status: report.status,
        ...(report.readerId?.trim() ? { reader_key: p.pseudonym(hospital.id, 'user', report.readerId.trim()) } : {}),
        ...(concept && report.finding ? { finding_concept: concept, finding: report.finding.present ? ('positive' as const) : ('negative' as const) } : {}),
      });
    } catch (error) {
      if (error instanceof InvalidEventError) throw new ReportRejected(error.issues[0]?.path ?? '(root)', error.issues[0]?.message ?? error.message);
      throw error;
    }
  }

  /** Makes the event and keeps it: resolves with it once stored; ReportRejected for what it is, ReportNotKept for now. */
  async receive(hospital: Hospital, report: RisReport): Promise<EventOf<'report.signed'>> {
    const event = this.event(hospital, report);
    try {
      await this.options.emitter.confirm([event]);
    } catch (error) {
      if (error instanceof SinkError && !error.retryable) throw new ReportRejected('(report)', `the event was refused: ${error.message}`);
      throw new ReportNotKept('the report could not be kept now; resend it (a repeat is stored once)', error instanceof SinkError ? error.retryAfterMs : undefined);
    }
    return event;
  }
}
