import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DicomInputError, readInstanceHeader } from './dicom-header.ts';
import type { GatewayTokens } from './gateway-tokens.ts';
import { multipartParameters, MultipartError, splitMultipart } from './multipart.ts';
import { IntakeFullError, type SendMode } from './study-assembler.ts';
import type { StudyIntake } from './study-intake.ts';

/** DICOM failure reasons (PS3.4 / PS3.18) used in a STOW-RS response. */
const FAILURE = { cannotUnderstand: 0xc000, doesNotMatchSopClass: 0xa900, outOfResources: 0xa700 } as const;

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
  tokens: GatewayTokens;
  maxBodyBytes: number;
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

/** `POST /dicomweb/studies[/:study]`: DICOMweb STOW-RS intake, one hospital per token. */
export async function stowRoutes(app: FastifyInstance, options: StowRouteOptions): Promise<void> {
  app.addContentTypeParser(/^multipart\/related/i, { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (_req, body, done) => done(null, body));

  const handler = async (request: FastifyRequest<{ Params: { study?: string } }>, reply: FastifyReply) => {
    const hospitalId = options.tokens.resolve(request.headers.authorization);
    const hospital = hospitalId ? options.intake.hospital(hospitalId) : undefined;
    if (!hospital) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="aifi"').send({ error: 'a gateway token is required (Authorization: Bearer <token>)' });
    }
    const sendModeHeader = String(request.headers['x-aifi-send-mode'] ?? 'automatic').toLowerCase();
    if (sendModeHeader !== 'automatic' && sendModeHeader !== 'manual') {
      return reply.code(400).send({ error: `X-AIFI-Send-Mode must be automatic or manual, not ${sendModeHeader}` });
    }
    const sendMode = sendModeHeader as SendMode;
    const contentType = String(request.headers['content-type'] ?? '');
    if (!/^multipart\/related\b/i.test(contentType)) {
      return reply.code(415).send({ error: `STOW-RS takes multipart/related; type="application/dicom", not ${contentType || 'no content type'}` });
    }
    let parts;
    try {
      const { boundary, type } = multipartParameters(contentType);
      if (type && type.toLowerCase() !== 'application/dicom') {
        return reply.code(415).send({ error: `only type="application/dicom" is accepted, not ${type}` });
      }
      parts = splitMultipart(request.body as Buffer, boundary);
    } catch (error) {
      if (error instanceof MultipartError) return reply.code(400).send({ error: error.message });
      throw error;
    }
    const referenced: Referenced[] = [];
    const failed: Failed[] = [];
    for (const part of parts) {
      const started = performance.now();
      if (part.contentType && !/^application\/dicom\b/i.test(part.contentType)) {
        failed.push({ reason: FAILURE.cannotUnderstand, comment: `part is ${part.contentType}, not application/dicom` });
        options.intake.refused('stow');
        continue;
      }
      try {
        const header = readInstanceHeader(part.body);
        if (request.params.study && header.studyInstanceUid !== request.params.study) {
          throw new DicomInputError('StudyInstanceUID differs from the study in the request URL');
        }
        options.intake.receive(hospital, sendMode, header, 'stow', started);
        referenced.push({ sopClassUid: header.sopClassUid, sopInstanceUid: header.sopInstanceUid });
      } catch (error) {
        options.intake.refused('stow');
        if (error instanceof DicomInputError) {
          const missingUid = error.message.startsWith('missing');
          failed.push({ reason: missingUid ? FAILURE.doesNotMatchSopClass : FAILURE.cannotUnderstand, comment: error.message });
        } else if (error instanceof IntakeFullError) {
          failed.push({ reason: FAILURE.outOfResources, comment: error.message });
        } else throw error;
      }
    }
    const status = failed.length === 0 ? 200 : referenced.length === 0 ? 409 : 202;
    if (failed.length) request.log.warn({ hospital: hospital.id, failed: failed.map((f) => f.comment) }, 'STOW-RS instances refused');
    return reply.code(status).type('application/dicom+json').send(stowResponse(referenced, failed));
  };

  app.post('/dicomweb/studies', { bodyLimit: options.maxBodyBytes }, handler);
  app.post('/dicomweb/studies/:study', { bodyLimit: options.maxBodyBytes }, handler);
}
