import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { makeEvent, PRODUCT_IDS, timestamp, uuidv7For, type AifiEvent } from '../events/index.ts';
import type { EventEmitter } from './event-emitter.ts';
import { SinkError } from './event-sink.ts';
import type { GatewayAuth } from './gateway-tokens.ts';
import type { Pseudonymizer } from './pseudonymizer.ts';
import { UnknownStudyError, type StudyIntake } from './study-intake.ts';

const clientId = z.string().min(1).max(200);
const uid = z.string().regex(/^[0-9.]{1,64}$/, { error: 'must be a DICOM UID' });

/** A result was looked at. Identifiers arrive in the clear from the hospital and leave as pseudonyms. */
export const usageRequest = z.strictObject({
  id: clientId,
  study_instance_uid: uid,
  product: z.enum(PRODUCT_IDS),
  user_id: z.string().min(1).max(200),
  role: z.enum(['radiologist', 'radiographer', 'clinician']),
  at: timestamp,
});

/** A reader's verdict on a study, possibly weeks after the result. */
export const verdictRequest = z.strictObject({
  id: clientId,
  study_instance_uid: uid,
  product: z.enum(PRODUCT_IDS),
  reader_id: z.string().min(1).max(200),
  label: z.enum(['positive', 'negative']).optional(),
  value: z.number().min(-1000).max(1000).optional(),
  agreement: z.boolean(),
  at: timestamp,
});

export const manualSendRequest = z.strictObject({ product: z.enum(PRODUCT_IDS) });

export interface UsageRouteOptions {
  intake: StudyIntake;
  auth: GatewayAuth;
  pseudonymizer: Pseudonymizer;
  emitter: EventEmitter;
  source?: string;
}

/** Acknowledges an event only once it is kept: 202, or 422 when it was refused for what it is, else 503 with Retry-After. */
async function keep(emitter: EventEmitter, event: AifiEvent, reply: FastifyReply): Promise<FastifyReply> {
  try {
    await emitter.confirm([event]);
  } catch (error) {
    if (error instanceof SinkError && !error.retryable) return reply.code(422).send({ error: `the event was refused: ${error.message}` });
    const wait = error instanceof SinkError && error.retryAfterMs ? Math.ceil(error.retryAfterMs / 1000) : 5;
    return reply.code(503).header('retry-after', String(wait)).send({ error: 'the event could not be kept now; retry later (a retry with the same id is safe)' });
  }
  return reply.code(202).send({ event_id: event.event_id });
}

function issues(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(root)', reason: i.message }));
}

/**
 * `POST /v1/usage`, `POST /v1/verdicts` and `POST /v1/studies/:uid/send`: what
 * hospitals tell us after a result (views, verdicts) and manual requests for AI.
 * The gateway's token is checked before the body is read (the gateway hook).
 * Usage and verdicts are idempotent on the client's `id`: a repeat makes the
 * same event, which storage deduplicates. They are acknowledged (202) only once
 * the event is stored or durably queued; else 503 with Retry-After.
 */
export async function usageRoutes(app: FastifyInstance, options: UsageRouteOptions): Promise<void> {
  const source = options.source ?? 'orchestrator';
  const gateway = { onRequest: options.auth.onRequest };
  const p = options.pseudonymizer;

  app.post('/v1/usage', gateway, async (request, reply) => {
    const hospital = options.auth.hospitalOf(request);
    const parsed = usageRequest.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid usage record', issues: issues(parsed.error) });
    const u = parsed.data;
    const event = makeEvent('result.viewed', {
      event_id: uuidv7For(`${hospital.id}|usage|${u.id}`, Date.parse(u.at)),
      occurred_at: u.at,
      hospital: hospital.id,
      source,
      study_key: p.pseudonym(hospital.id, 'study', u.study_instance_uid),
      product: u.product,
      user_key: p.pseudonym(hospital.id, 'user', u.user_id),
      role: u.role,
    });
    return keep(options.emitter, event, reply);
  });

  app.post('/v1/verdicts', gateway, async (request, reply) => {
    const hospital = options.auth.hospitalOf(request);
    const parsed = verdictRequest.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid verdict', issues: issues(parsed.error) });
    const v = parsed.data;
    let event;
    try {
      event = makeEvent('verdict.recorded', {
        event_id: uuidv7For(`${hospital.id}|verdict|${v.id}`, Date.parse(v.at)),
        occurred_at: v.at,
        hospital: hospital.id,
        source,
        study_key: p.pseudonym(hospital.id, 'study', v.study_instance_uid),
        product: v.product,
        reader_key: p.pseudonym(hospital.id, 'user', v.reader_id),
        ...(v.label !== undefined ? { label: v.label } : {}),
        ...(v.value !== undefined ? { value: v.value } : {}),
        agreement: v.agreement,
      });
    } catch (error) {
      return reply.code(400).send({ error: 'invalid verdict', issues: (error as { issues?: unknown }).issues ?? [{ path: '(root)', reason: String(error) }] });
    }
    return keep(options.emitter, event, reply);
  });

  app.post<{ Params: { uid: string } }>('/v1/studies/:uid/send', gateway, async (request, reply) => {
    const hospital = options.auth.hospitalOf(request);
    const parsed = manualSendRequest.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid request', issues: issues(parsed.error) });
    try {
      options.intake.sendManually(hospital, request.params.uid, parsed.data.product);
    } catch (error) {
      if (error instanceof UnknownStudyError) return reply.code(404).send({ error: error.message });
      throw error;
    }
    return reply.code(202).send({ status: 'dispatched', product: parsed.data.product });
  });
}
