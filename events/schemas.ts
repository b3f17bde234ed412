import { z } from 'zod';
import { FINDING_CONCEPT_IDS } from './findings.ts';
import { isBinaryProduct, PRODUCT_IDS } from './products.ts';

/**
 * The version of the envelope and payload shapes below, the one producers write.
 * Additive changes to an existing type keep it; version 2 added `report.signed`
 * and the accession pseudonym of `study.received`.
 */
export const SCHEMA_VERSION = 2;

/**
 * The versions the collector accepts. Version 2 only added (a type, an optional
 * field), so an event written as version 1 means today what it meant then and
 * stays valid as long as it uses nothing version 2 added; a version-1 producer
 * needs no change.
 */
export const ACCEPTED_SCHEMA_VERSIONS = [1, 2] as const;

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be a lower-case slug (a-z, 0-9, -)' });

/** A keyed hash (HMAC-SHA256, hex) of an identifier: the only form an identifier takes in an event. */
export const pseudonym = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'must be a pseudonym: 64 lower-case hex characters (HMAC-SHA256)' });

/** ISO-8601 UTC timestamp with millisecond precision, e.g. 2026-03-01T08:15:00.000Z. */
export const timestamp = z.iso.datetime({ precision: 3, error: 'must be an ISO-8601 UTC time with milliseconds, e.g. 2026-03-01T08:15:00.000Z' });

const shortText = (max: number) => z.string().max(max).regex(/^[^\u0000-\u001f]*$/, { error: 'must not contain control characters' });

export const product = z.enum(PRODUCT_IDS);
export const urgency = z.enum(['acute', 'routine']);
export const sendMode = z.enum(['automatic', 'manual']);
export const finding = z.enum(['positive', 'negative', 'none']);
export const stageMs = z.number().int().min(0).max(90 * 24 * 3600 * 1000);

const envelope = {
  event_id: z.uuid({ version: 'v7', error: 'must be a UUIDv7' }),
  schema_version: z.literal(ACCEPTED_SCHEMA_VERSIONS, { error: `must be a schema version this collector accepts: ${ACCEPTED_SCHEMA_VERSIONS.join(' or ')}` }),
  occurred_at: timestamp,
  hospital: slug,
  source: slug,
  trace_id: z.string().regex(/^[0-9a-f]{32}$/, { error: 'must be a 32-character hex trace id' }).optional(),
};

/** Envelope plus the pseudonymised study key: every event about one study. */
const studyEnvelope = { ...envelope, study_key: pseudonym };

export const studyReceived = z
  .strictObject({
  ...studyEnvelope,
  type: z.literal('study.received'),
  patient_key: pseudonym,
  /** Version 2: the accession number's pseudonym, what the RIS's reports are matched by; absent when the study had none. */
  accession_key: pseudonym.optional(),
  modality: z.string().regex(/^[A-Z]{2,4}$/, { error: 'must be a DICOM modality code such as CR, DX or CT' }),
  body_part: shortText(64),
  age_years: z.number().min(0).max(130).nullable(),
  sex: z.enum(['M', 'F', 'O', 'U']),
  manufacturer: shortText(128),
  device_model: shortText(128),
  contrast: z.boolean(),
  urgency,
  send_mode: sendMode,
  instance_count: z.number().int().min(1).max(100_000),
  acquired_at: timestamp.nullable(),
  /** Set on a repeat of study.received when instances arrived after the study had completed; instance_count is the new total. */
  amended: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.schema_version === 1 && v.accession_key !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['accession_key'], message: 'not in schema version 1: send schema_version 2' });
    }
  });

export const studyRouted = z.strictObject({
  ...studyEnvelope,
  type: z.literal('study.routed'),
  product,
  outcome: z.enum(['routed', 'not_eligible']),
  /** The rule that decided: the one that matched, or the first one that said no. */
  rule: slug,
  reason: shortText(200),
  routing_ms: stageMs,
});

export const inferenceRequested = z.strictObject({
  ...studyEnvelope,
  type: z.literal('inference.requested'),
  product,
  attempt: z.number().int().min(1).max(100),
  queued_ms: stageMs,
});

export const inferenceCompleted = z.strictObject({
  ...studyEnvelope,
  type: z.literal('inference.completed'),
  product,
  model_version: shortText(64).min(1),
  finding,
  score: z.number().min(0).max(1).nullable(),
  /** Continuous output, e.g. bone age in years. */
  value: z.number().min(-1000).max(1000).nullable(),
  attempt: z.number().int().min(1).max(100),
  queued_ms: stageMs,
  inference_ms: stageMs,
  total_ms: stageMs,
});

export const inferenceFailed = z.strictObject({
  ...studyEnvelope,
  type: z.literal('inference.failed'),
  product,
  error_class: z.enum(['timeout', 'http_4xx', 'http_5xx', 'invalid_response', 'connection', 'circuit_open', 'rejected']),
  retryable: z.boolean(),
  attempt: z.number().int().min(1).max(100),
  final: z.boolean(),
  total_ms: stageMs,
});

/**
 * The forms a result can take in the PACS: a TID 1500 Structured Report, a
 * Secondary Capture image of it, a Key Object Selection of the flagged images.
 */
export const RESULT_FORMS = ['sr', 'sc', 'ko'] as const;
export const resultForm = z.enum(RESULT_FORMS);
export type ResultForm = z.infer<typeof resultForm>;

export const resultDelivered = z.strictObject({
  ...studyEnvelope,
  type: z.literal('result.delivered'),
  product,
  channel: z.enum(['dicom-sr', 'dicom-sc', 'none']),
  acknowledged: z.boolean(),
  reason: shortText(200).optional(),
  delivery_ms: stageMs,
  /** How the PACS was reached. */
  pacs_via: z.enum(['stow', 'c-store']).optional(),
  /** Each form the hospital chose for the product, and what the PACS acknowledged of it. */
  forms: z
    .array(
      z.strictObject({
        form: resultForm,
        /** Stored by the PACS (a success or warning status). */
        acknowledged: z.boolean(),
        /** The DICOM status the PACS answered (C-STORE status, or STOW-RS failure or warning reason; 0 is success); absent without an answer. */
        status: z.number().int().min(0).max(0xffff).optional(),
        reason: shortText(200).optional(),
      }),
    )
    .min(1)
    .max(RESULT_FORMS.length)
    .optional(),
});

export const resultViewed = z.strictObject({
  ...studyEnvelope,
  type: z.literal('result.viewed'),
  product,
  user_key: pseudonym,
  role: z.enum(['radiologist', 'radiographer', 'clinician']),
});

export const verdictRecorded = z
  .strictObject({
    ...studyEnvelope,
    type: z.literal('verdict.recorded'),
    product,
    reader_key: pseudonym,
    /** For binary products: the reader's finding. */
    label: z.enum(['positive', 'negative']).optional(),
    /** For continuous products: the reader's value (bone age in years). */
    value: z.number().min(-1000).max(1000).optional(),
    agreement: z.boolean(),
  })
  .superRefine((v, ctx) => {
    const binary = isBinaryProduct(v.product);
    const [needed, other] = binary ? (['label', 'value'] as const) : (['value', 'label'] as const);
    if (v[needed] === undefined) {
      ctx.addIssue({ code: 'custom', path: [needed], message: `required: ${v.product} is a ${binary ? 'binary' : 'continuous'} product` });
    }
    if (v[other] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [other], message: `not allowed: ${v.product} is a ${binary ? 'binary' : 'continuous'} product` });
    }
  });

/**
 * Version 2: a radiology report reached a status in the RIS (by HL7 v2 ORU^R01 or
 * FHIR DiagnosticReport). `occurred_at` is when it did (the signing time of a
 * final report). Matched to its study by the accession pseudonym; the report's
 * text never leaves the orchestrator: only its times, status, the reader's
 * pseudonym and, where the RIS codes it, the finding.
 */
export const reportSigned = z
  .strictObject({
    ...envelope,
    schema_version: z.literal(2, { error: 'report.signed exists from schema version 2 on' }),
    type: z.literal('report.signed'),
    accession_key: pseudonym,
    status: z.enum(['preliminary', 'final', 'amended']),
    reader_key: pseudonym.optional(),
    /** The coded finding, where the RIS sends one: what it is about, and whether the report says it is there. */
    finding_concept: z.enum(FINDING_CONCEPT_IDS).optional(),
    finding: z.enum(['positive', 'negative']).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.finding === undefined) !== (v.finding_concept === undefined)) {
      const missing = v.finding === undefined ? 'finding' : 'finding_concept';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'finding and finding_concept come together' });
    }
  });

export const gatewayHeartbeat = z.strictObject({
  ...envelope,
  type: z.literal('gateway.heartbeat'),
  component: slug,
  status: z.enum(['up', 'degraded', 'down']),
});

export const eventSchemas = {
  'study.received': studyReceived,
  'study.routed': studyRouted,
  'inference.requested': inferenceRequested,
  'inference.completed': inferenceCompleted,
  'inference.failed': inferenceFailed,
  'result.delivered': resultDelivered,
  'result.viewed': resultViewed,
  'verdict.recorded': verdictRecorded,
  'gateway.heartbeat': gatewayHeartbeat,
  'report.signed': reportSigned,
} as const;

export type EventType = keyof typeof eventSchemas;
export const EVENT_TYPES = Object.keys(eventSchemas) as [EventType, ...EventType[]];

export const aifiEvent = z.discriminatedUnion('type', [
  studyReceived,
  studyRouted,
  inferenceRequested,
  inferenceCompleted,
  inferenceFailed,
  resultDelivered,
  resultViewed,
  verdictRecorded,
  gatewayHeartbeat,
  reportSigned,
]);

export type AifiEvent = z.infer<typeof aifiEvent>;
export type EventOf<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
