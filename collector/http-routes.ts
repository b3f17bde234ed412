import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError } from '../store/index.ts';
import { QueueFullError } from './batch-writer.ts';
import type { Collector } from './collector.ts';
import type { SenderTokens } from './sender-tokens.ts';

const gunzipAsync = promisify(gunzip);

export interface IngestRouteOptions {
  collector: Collector;
  tokens: SenderTokens;
  /** Largest body, compressed or not (default 16 MiB). */
  maxBodyBytes?: number;
  /** Most events in one request (default 100,000). */
  maxEvents?: number;
  /** The hospitals that exist: an event of another is refused (default: no check). */
  hospitals?: readonly string[];
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const NDJSON = /^application\/(x-)?ndjson\b|^application\/jsonl\b|^application\/x-jsonlines\b/i;
const JSON_TYPE = /^application\/json\b/i;

/** Decodes a body: gzip if declared, then a JSON array or NDJSON. */
async function decode(body: Buffer, request: FastifyRequest, maxBytes: number): Promise<unknown[]> {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  let raw = body;
  if (encoding === 'gzip') {
    try {
      raw = await gunzipAsync(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyError(413, `the decompressed body is over ${maxBytes} bytes`);
      throw new BodyError(400, `the body is not valid gzip: ${(error as Error).message}`);
    }
  } else if (encoding !== 'identity') {
    throw new BodyError(415, `content-encoding ${encoding} is not supported (use gzip or none)`);
  }
  const text = raw.toString('utf8');
  const type = String(request.headers['content-type'] ?? '');
  if (NDJSON.test(type)) {
    const events: unknown[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      try {
        events.push(JSON.parse(line));
      } catch (error) {
        throw new BodyError(400, `line ${i + 1} is not valid JSON: ${(error as Error).message}`);
      }
    }
    return events;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BodyError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new BodyError(400, 'the body must be a JSON array of events (or NDJSON, one event per line)');
  return parsed;
}

/** `POST /v1/events`: batches of events from authenticated senders. */
export async function ingestRoutes(app: FastifyInstance, options: IngestRouteOptions): Promise<void> {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxEvents = options.maxEvents ?? 100_000;
  const { collector } = options;
  const hospitals = options.hospitals ? new Set(options.hospitals) : undefined;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  const refuse = (reply: FastifyReply, status: number, error: string, headers: Record<string, string> = {}) => {
    collector.metrics.requestsRejected.inc({ status: String(status) });
    return reply.code(status).headers(headers).send({ error });
  };

  app.post('/v1/events', { bodyLimit: maxBodyBytes }, async (request, reply) => {
    const sender = options.tokens.resolve(request.headers.authorization);
    if (!sender) return refuse(reply, 401, 'a valid bearer token is required (Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer realm="aifi-collector"' });
    const type = String(request.headers['content-type'] ?? '');
    if (!JSON_TYPE.test(type) && !NDJSON.test(type)) {
      return refuse(reply, 415, `send application/json (an array of events) or application/x-ndjson, not ${type || 'no content type'}`);
    }
    if (collector.writer.degraded) return refuse(reply, 503, 'ClickHouse is not taking writes right now; retry later', { 'retry-after': '5' });
    let events: unknown[];
    try {
      events = await decode(request.body as Buffer, request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyError) return refuse(reply, error.status, error.message);
      throw error;
    }
    if (events.length > maxEvents) return refuse(reply, 413, `${events.length} events in one request; send at most ${maxEvents}`);
    let intake;
    try {
      intake = collector.accept(events, 'http', { ...sender, hospitals });
    } catch (error) {
      if (error instanceof QueueFullError) return refuse(reply, 429, error.message, { 'retry-after': '2' });
      throw error;
    }
    try {
      await intake.stored;
    } catch (error) {
      request.log.error({ err: error, sender: sender.name }, 'accepted events could not be stored');
      if (error instanceof StoreError && !error.retryable && error.kind !== 'closed') {
        return refuse(reply, 422, `ClickHouse refused these events, and would refuse them again: ${error.message}`);
      }
      return refuse(reply, 503, 'the events could not be stored; retry later (a retry is safe: events are deduplicated on event_id)', { 'retry-after': '5' });
    }
    if (intake.accepted === 0 && intake.rejected.length > 0) {
      collector.metrics.requestsRejected.inc({ status: '400' });
      return reply.code(400).send({ error: 'no event in the batch is valid', accepted: 0, rejected: intake.rejected });
    }
    return reply.code(202).send({ accepted: intake.accepted, rejected: intake.rejected });
  });
}
