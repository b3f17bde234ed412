import type { Readable } from 'node:stream';
import { bulkhead, BulkheadRejectedError } from 'cockatiel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DicomInputError, INTAKE_FULL, readInstanceHeader, REFUSAL } from './dicom-header.ts';
import type { GatewayAuth } from './gateway-tokens.ts';
import type { Hospital } from './hospitals.ts';
import { multipartParameters, MultipartError, MultipartTooLargeError, streamMultipart, type Part } from './multipart.ts';
import { IntakeFullError, type SendMode } from './study-assembler.ts';
import type { StudyIntake } from './study-intake.ts';


interface Referenced {
  sopClassUid: string;
  sopInstanceUid: string;
}
interface Failed extends Partial<Referenced> {
  reason: number;
  comment: string;
}

export interface StowRouteOptions {
  intake: StudyIntake;
  auth: GatewayAuth;
  maxBodyBytes: number;
  /** Uploads read at once (default 4): memory holds at most this many parts being read. */
  concurrency?: number;
  /** Uploads that wait their turn, unread (default 16); beyond it 503 with Retry-After. */
  queued?: number;
}

const ui = (value: string) => ({ vr: 'UI', Value: [value] });

/** The STOW-RS response dataset (DICOM JSON): what was stored, what failed and why. */
export function stowResponse(referenced: Referenced[], failed: Failed[]): Record<string, unknown> {
  const response: Record<string, unknown> = {};
  if (referenced.length) {
    response['00081199'] = { vr: 'SQ', Value: referenced.map((r) => ({ '00081150': ui(r.sopClassUid), '00081155': ui(r.sopInstanceUid) })) };
  }
  if (failed.length) {
    response['00081198'] = {
      vr: 'SQ',
      Value: failed.map((f) => ({
        ...(f.sopClassUid ? { '00081150': ui(f.sopClassUid) } : {}),
        ...(f.sopInstanceUid ? { '00081155': ui(f.sopInstanceUid) } : {}),
        '00081197': { vr: 'US', Value: [f.reason] },
        '00000902': { vr: 'LO', Value: [f.comment] },
      })),
    };
  }
  return response;
}

/**
 * `POST /dicomweb/studies[/:study]`: DICOMweb STOW-RS intake, one hospital per
 * token. The token (the gateway hook) and the headers are checked before a
 * byte of the body is read; the body is read as a stream, one part at a time, by a bounded number
 * of uploads at once (the others wait unread, or are told to come back).
 */
export async function stowRoutes(app: FastifyInstance, options: StowRouteOptions): Promise<void> {
  app.addContentTypeParser(/^multipart\/related/i, (_request, payload, done) => done(null, payload));
  const uploads = bulkhead(options.concurrency ?? 4, options.queued ?? 16);
  const senders = new WeakMap<FastifyRequest, { hospital: Hospital; sendMode: SendMode; boundary: string }>();

  const admit = async (request: FastifyRequest, reply: FastifyReply) => {
    const hospital = options.auth.hospitalOf(request);
    const sendModeHeader = String(request.headers['x-aifi-send-mode'] ?? 'automatic').toLowerCase();
    if (sendModeHeader !== 'automatic' && sendModeHeader !== 'manual') {
      return reply.code(400).send({ error: `X-AIFI-Send-Mode must be automatic or manual, not ${sendModeHeader}` });
    }
    const contentType = String(request.headers['content-type'] ?? '');
    if (!/^multipart\/related\b/i.test(contentType)) {
      return reply.code(415).send({ error: `STOW-RS takes multipart/related; type="application/dicom", not ${contentType || 'no content type'}` });
    }
    let boundary: string;
    try {
      const parameters = multipartParameters(contentType);
      if (parameters.type && parameters.type.toLowerCase() !== 'application/dicom') {
        return reply.code(415).send({ error: `only type="application/dicom" is accepted, not ${parameters.type}` });
      }
      boundary = parameters.boundary;
    } catch (error) {
      if (error instanceof MultipartError) return reply.code(400).send({ error: error.message });
      throw error;
    }
    if (Number(request.headers['content-length'] ?? 0) > options.maxBodyBytes) {
      return reply.code(413).send({ error: `the body is over ${options.maxBodyBytes} bytes` });
    }
    senders.set(request, { hospital, sendMode: sendModeHeader, boundary });
  };

  const receive = async (request: FastifyRequest<{ Params: { study?: string } }>, reply: FastifyReply) => {
    const { hospital, sendMode, boundary } = senders.get(request)!;
    const referenced: Referenced[] = [];
    const failed: Failed[] = [];
    try {
      for await (const part of streamMultipart(request.body as Readable, boundary, { maxBytes: options.maxBodyBytes })) {
        receivePart(part, request.params.study, hospital, sendMode, referenced, failed);
      }
    } catch (error) {
      if (!(error instanceof MultipartError)) throw error;
      const received = referenced.length ? `; the ${referenced.length} instances before it were received` : '';
      return reply.code(error instanceof MultipartTooLargeError ? 413 : 400).send({ error: `${error.message}${received}` });
    }
    const status = failed.length === 0 ? 200 : referenced.length === 0 ? 409 : 202;
    if (failed.length) request.log.warn({ hospital: hospital.id, failed: failed.map((f) => f.comment) }, 'STOW-RS instances refused');
    return reply.code(status).type('application/dicom+json').send(stowResponse(referenced, failed));
  };

  const receivePart = (part: Part, study: string | undefined, hospital: Hospital, sendMode: SendMode, referenced: Referenced[], failed: Failed[]) => {
    const started = performance.now();
    if (part.contentType && !/^application\/dicom\b/i.test(part.contentType)) {
      failed.push({ reason: REFUSAL.cannotUnderstand, comment: `part is ${part.contentType.replace(/[^\w.+/-]/g, '').slice(0, 24)}, not application/dicom` });
      options.intake.refused('stow');
      return;
    }
    try {
      const header = readInstanceHeader(part.body);
      if (study && header.studyInstanceUid !== study) throw new DicomInputError('StudyInstanceUID differs from the study in the URL', REFUSAL.doesNotMatchSopClass);
      options.intake.receive(hospital, sendMode, header, 'stow', started);
      referenced.push({ sopClassUid: header.sopClassUid, sopInstanceUid: header.sopInstanceUid });
    } catch (error) {
      options.intake.refused('stow');
      if (error instanceof DicomInputError) {
        failed.push({ reason: error.status, comment: error.message });
      } else if (error instanceof IntakeFullError) {
        failed.push({ reason: REFUSAL.outOfResources, comment: INTAKE_FULL });
      } else throw error;
    }
  };

  const handler = async (request: FastifyRequest<{ Params: { study?: string } }>, reply: FastifyReply) => {
    try {
      return await uploads.execute(() => receive(request, reply));
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        return reply.code(503).header('retry-after', '5').send({ error: 'too many uploads at once; retry later' });
      }
      throw error;
    }
  };

  app.post<{ Params: { study?: string } }>('/dicomweb/studies', { onRequest: [options.auth.onRequest, admit] }, handler);
  app.post<{ Params: { study?: string } }>('/dicomweb/studies/:study', { onRequest: [options.auth.onRequest, admit] }, handler);
}
