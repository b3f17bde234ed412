import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { GatewayTokens } from './gateway-tokens.ts';
import type { Hospital } from './hospitals.ts';
import { reportsReceived } from './metrics.ts';
import { ReportNotKept, ReportRejected, type ReportIntake, type RisReport } from './report-intake.ts';

/**
 * Radiology reports as FHIR R4 `DiagnosticReport` (JSON): `POST
 * /fhir/DiagnosticReport` with the hospital's gateway token, checked before the
 * body is read. Read: `status`, `identifier` (the accession number is the one
 * typed ACSN, v2-0203), `issued` (when the report got its status),
 * `resultsInterpreter` (identifier or reference) and, coded, the finding:
 * a SNOMED CT `conclusionCode` of a concept a product looks for means present;
 * a contained Observation with that code and `valueBoolean` says present or
 * absent. Everything else (the conclusion's text, presentedForm, subject) is
 * validated as JSON only and never read into anything that leaves. Answers:
 * 201 with an informational OperationOutcome once stored; 400 with an
 * OperationOutcome whose `expression` names the field; 401; 503 with
 * Retry-After when it cannot be kept now.
 */

const coding = z.looseObject({ system: z.string().optional(), code: z.string().optional() });
const codeableConcept = z.looseObject({ coding: z.array(coding).optional(), text: z.string().optional() });
const identifier = z.looseObject({ system: z.string().optional(), value: z.string().min(1).max(200).optional(), type: codeableConcept.optional() });
const reference = z.looseObject({ reference: z.string().max(200).optional(), identifier: identifier.optional() });
/** A FHIR instant: seconds and a zone are required. */
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/, { error: 'must be a FHIR instant, e.g. 2026-03-02T09:06:15Z' });

export const diagnosticReport = z.looseObject({
  resourceType: z.literal('DiagnosticReport', { error: 'must be DiagnosticReport' }),
  id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, { error: 'must be a FHIR id' }).optional(),
  status: z.enum(['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown']),
  code: codeableConcept,
  identifier: z.array(identifier).min(1, { error: 'the accession number is required: an identifier typed ACSN' }),
  issued: instant,
  resultsInterpreter: z.array(reference).optional(),
  conclusionCode: z.array(codeableConcept).optional(),
  contained: z.array(z.looseObject({ resourceType: z.string() })).optional(),
});

const STATUS: Partial<Record<string, RisReport['status']>> = { partial: 'preliminary', preliminary: 'preliminary', final: 'final', amended: 'amended', corrected: 'amended', appended: 'amended' };
const SNOMED = 'http://snomed.info/sct';

type Outcome = { resourceType: 'OperationOutcome'; issue: { severity: string; code: string; diagnostics: string; expression?: string[] }[] };
const outcome = (severity: string, code: string, diagnostics: string, expression?: string): Outcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity, code, diagnostics, ...(expression ? { expression: [expression] } : {}) }],
});

/** The report a valid DiagnosticReport carries; throws ReportRejected naming the FHIR path. */
export function reportOfResource(resource: z.infer<typeof diagnosticReport>): RisReport {
  const status = STATUS[resource.status];
  if (!status) throw new ReportRejected('DiagnosticReport.status', `status ${resource.status} is not a report this receiver keeps (preliminary, partial, final, amended, corrected, appended)`);
  const acsn = resource.identifier.find((i) => i.type?.coding?.some((c) => c.code === 'ACSN'));
  if (!acsn?.value) throw new ReportRejected('DiagnosticReport.identifier', 'no identifier typed ACSN (http://terminology.hl7.org/CodeSystem/v2-0203) with a value: the accession number is required');
  const issued = new Date(resource.issued);
  if (Number.isNaN(issued.getTime())) throw new ReportRejected('DiagnosticReport.issued', 'not a valid instant');
  const interpreter = resource.resultsInterpreter?.[0];
  const readerId = interpreter?.identifier?.value ?? interpreter?.reference;
  let finding: RisReport['finding'];
  for (const c of resource.conclusionCode ?? []) for (const cd of c.coding ?? []) if (cd.system === SNOMED && cd.code) finding ??= { code: cd.code, present: true };
  for (const [i, r] of (resource.contained ?? []).entries()) {
    if (r.resourceType !== 'Observation') continue;
    const obs = r as { code?: { coding?: { system?: string; code?: string }[] }; valueBoolean?: unknown };
    const code = obs.code?.coding?.find((c) => c.system === SNOMED && c.code)?.code;
    if (!code) continue;
    if (typeof obs.valueBoolean !== 'boolean') throw new ReportRejected(`DiagnosticReport.contained[${i}].valueBoolean`, 'a coded finding says present or absent as valueBoolean');
    finding = { code, present: obs.valueBoolean };
  }
  const own = resource.id ?? resource.identifier.find((i) => i !== acsn)?.value ?? acsn.value;
  return {
    idempotencyKey: `fhir|${own}|${resource.status}|${issued.toISOString()}`,
    accessionNumber: acsn.value,
    status,
    at: issued.toISOString(),
    ...(readerId ? { readerId } : {}),
    ...(finding ? { finding } : {}),
  };
}

export interface FhirReportRouteOptions {
  intake: ReportIntake;
  tokens: GatewayTokens;
}

/** `POST /fhir/DiagnosticReport`, in a scope of its own that reads `application/fhir+json`. */
export async function fhirReportRoutes(app: FastifyInstance, options: FhirReportRouteOptions): Promise<void> {
  await app.register(async (scope) => {
    const parseJson = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
      try {
        done(null, JSON.parse(body));
      } catch {
        const error = Object.assign(new Error('the body is not JSON'), { statusCode: 400 });
        done(error);
      }
    };
    scope.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, parseJson);
    scope.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
      const code = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      return reply.code(code).type('application/fhir+json').send(outcome('error', code === 500 ? 'exception' : code === 415 ? 'not-supported' : 'invalid', code === 500 ? 'internal error' : error.message));
    });
    const hospitals = new WeakMap<object, Hospital>();
    scope.addHook('onRequest', async (request, reply) => {
      const id = options.tokens.resolve(request.headers.authorization);
      const hospital = id ? options.intake.hospital(id) : undefined;
      if (!hospital) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="aifi"').type('application/fhir+json').send(outcome('error', 'login', 'a gateway token is required (Authorization: Bearer <token>)'));
      }
      hospitals.set(request, hospital);
    });
    scope.post('/fhir/DiagnosticReport', async (request, reply) => {
      const hospital = hospitals.get(request)!;
      const fail = (status: number, code: string, diagnostics: string, expression?: string): FastifyReply => {
        reportsReceived.inc({ channel: 'fhir', outcome: status === 503 ? 'unavailable' : 'invalid' });
        return reply.code(status).type('application/fhir+json').send(outcome('error', code, diagnostics, expression));
      };
      const parsed = diagnosticReport.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const path = ['DiagnosticReport', ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[');
        return fail(400, issue.code === 'invalid_type' && issue.message.includes('undefined') ? 'required' : 'invalid', `${path}: ${issue.message}`, path);
      }
      try {
        const event = await options.intake.receive(hospital, reportOfResource(parsed.data));
        reportsReceived.inc({ channel: 'fhir', outcome: 'stored' });
        return reply.code(201).type('application/fhir+json').send(outcome('information', 'informational', `stored as event ${event.event_id}`));
      } catch (error) {
        if (error instanceof ReportRejected) return fail(error.field.startsWith('DiagnosticReport') ? 400 : 422, 'invalid', error.message, error.field.startsWith('DiagnosticReport') ? error.field : undefined);
        if (error instanceof ReportNotKept) {
          reply.header('retry-after', String(Math.ceil((error.retryAfterMs ?? 5_000) / 1000)));
          return fail(503, 'transient', error.message);
        }
        throw error;
      }
    });
  });
}
