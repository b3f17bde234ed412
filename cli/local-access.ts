import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Fastify from 'fastify';
import { parseAudience, readReport, type Report } from '../analytics/index.ts';
import type { Config } from '../config/index.ts';
import { readOnlyQueryText, StoreError, type Store, type StoreErrorKind } from '../store/index.ts';

/**
 * Local access to the store of a running `aifi up` (or `aifi collector`):
 * the embedded store can be held by one process only, so `aifi query` and
 * `aifi report` ask that process while it runs. It listens on 127.0.0.1 only,
 * on a port of its own, and admits whoever presents the token of the
 * credential file (mode 0600 in the data folder, made at start, removed at
 * stop). Queries are read-only with the AIFI_QUERY_MAX_* limits.
 */
export interface LocalCredential {
  url: string;
  token: string;
  pid: number;
}

export const localCredentialFile = (config: Config) => `${config.dataDir.replace(/\/+$/, '')}/local-access.json`;

export interface LocalAccess {
  url: string;
  close: () => Promise<void>;
}

interface QueryBody {
  sql: string;
  format: string;
  params: Record<string, string>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Serves the store of this process on a loopback port and writes the credential file. */
export async function startLocalAccess(store: Store, config: Config): Promise<LocalAccess> {
  const token = randomBytes(24).toString('base64url');
  const digest = sha256(token);
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addHook('onRequest', async (request, reply) => {
    if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) return reply.code(403).send({ error: 'local access is for this machine only' });
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!m || !timingSafeEqual(sha256(m[1]!), digest)) return reply.code(401).send({ error: `the token of ${localCredentialFile(config)} is required` });
  });
  const fail = (error: unknown) => {
    if (error instanceof StoreError) return { status: 422, body: { error: error.message, kind: error.kind } };
    return { status: 400, body: { error: (error as Error).message } };
  };
  app.post<{ Body: QueryBody }>(
    '/local/query',
    {
      schema: {
        body: {
          type: 'object',
          required: ['sql', 'format', 'params'],
          additionalProperties: false,
          properties: { sql: { type: 'string', minLength: 1 }, format: { type: 'string', pattern: '^[A-Za-z0-9]+$' }, params: { type: 'object', additionalProperties: { type: 'string' } } },
        },
      },
    },
    async (request, reply) => {
      try {
        const text = await readOnlyQueryText(store, request.body.sql, request.body.format, request.body.params, config.query);
        return reply.type('text/plain; charset=utf-8').send(text);
      } catch (error) {
        const f = fail(error);
        return reply.code(f.status).send(f.body);
      }
    },
  );
  app.get<{ Querystring: { audience?: string } }>('/local/report', async (request, reply) => {
    try {
      return await readReport(store, parseAudience(request.query.audience ?? 'all'));
    } catch (error) {
      const f = fail(error);
      return reply.code(f.status).send(f.body);
    }
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const file = localCredentialFile(config);
  const credential: LocalCredential = { url, token, pid: process.pid };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.${process.pid}`, JSON.stringify(credential) + '\n', { mode: 0o600 });
  renameSync(`${file}.${process.pid}`, file);
  return {
    url,
    close: async () => {
      // Another process may have started since and written its own.
      if (readCredential(file)?.token === token) rmSync(file, { force: true });
      await app.close();
    },
  };
}

function readCredential(file: string): LocalCredential | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const c = JSON.parse(text) as LocalCredential;
    return typeof c.url === 'string' && typeof c.token === 'string' ? c : null;
  } catch {
    return null;
  }
}

/**
 * Asks the running process, if there is one: resolves with its answer, or
 * null when no process answers for the credential file (none, or one left by
 * a process that is gone), so that the caller opens the store itself.
 */
async function ask(config: Config, path: string, init: RequestInit = {}): Promise<Response | null> {
  if (config.store.kind !== 'embedded') return null;
  const credential = readCredential(localCredentialFile(config));
  if (!credential || !/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/.test(credential.url)) return null;
  let response: Response;
  try {
    response = await fetch(`${credential.url}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${credential.token}` } });
  } catch {
    return null;
  }
  // A credential left by a process that is gone, whose port another service took since.
  if (response.status === 401 || response.status === 404) return null;
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; kind?: StoreErrorKind };
    throw new StoreError(body.kind ?? 'failed', body.error ?? `the running aifi process answered ${response.status}`);
  }
  return response;
}

/** The output of a read-only query by the running process, or null when none runs. */
export async function queryThroughRunning(config: Config, body: QueryBody): Promise<string | null> {
  const response = await ask(config, '/local/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response ? await response.text() : null;
}

/** The report as the running process reads it, or null when none runs. */
export async function reportThroughRunning(config: Config, audience: string): Promise<Report | null> {
  const response = await ask(config, `/local/report?audience=${encodeURIComponent(audience)}`);
  return response ? ((await response.json()) as Report) : null;
}
