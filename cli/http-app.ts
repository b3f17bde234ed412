import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { readSettingFile } from '../config/index.ts';
import { collectDefaultMetrics, register, Registry } from 'prom-client';
import type { Config } from '../config/index.ts';
import type { ScrapeToken } from './scrape-token.ts';

let defaultMetrics = false;

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/**
 * The HTTPS settings of a service: its certificate and key, and with a client CA mutual TLS:
 * a client without a certificate that CA signed is refused in the handshake, before any request.
 */
export function tlsOptions(tls: NonNullable<Config['http']['tls']>): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean } {
  const read = readSettingFile;
  const cert = read(tls.certFile, 'AIFI_TLS_CERT_FILE');
  const key = read(tls.keyFile, 'AIFI_TLS_KEY_FILE');
  if (!tls.clientCaFile) return { cert, key, requestCert: false, rejectUnauthorized: false };
  return { cert, key, ca: read(tls.clientCaFile, 'AIFI_TLS_CLIENT_CA_FILE'), requestCert: true, rejectUnauthorized: true };
}

/**
 * A fastify instance with what every service of the stack shares: one error
 * handler (4xx carry the reason, 5xx say only "internal error" and the detail
 * goes to the log), /healthz, /readyz over the given checks, and /metrics for
 * whoever presents the scrape token (ops' Prometheus: the figures cover every
 * hospital and every vendor's products): the process's default registry and
 * the registries of the parts (a collector's own), which may be added after.
 */
export function createHttpApp(config: Config, readiness: ReadinessCheck[], scrape: ScrapeToken, registries: readonly Registry[] = []): FastifyInstance {
  if (!defaultMetrics) {
    collectDefaultMetrics();
    defaultMetrics = true;
  }
  const app = Fastify({
    ...(config.http.tls ? { https: tlsOptions(config.http.tls) } : {}),
    logger: { level: config.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
    // Behind a proxy that terminates TLS, its X-Forwarded-Proto tells whether the request came over TLS.
    ...(config.http.trustProxy.length ? { trustProxy: config.http.trustProxy } : {}),
  });
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, url: request.url }, 'request failed');
      return reply.code(status).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: error.message });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failures: Record<string, string> = {};
    for (const r of readiness) {
      try {
        await r.check();
      } catch (error) {
        failures[r.name] = (error as Error).message;
      }
    }
    if (Object.keys(failures).length) return reply.code(503).send({ status: 'unavailable', failures });
    return { status: 'ready', checked: readiness.map((r) => r.name) };
  });
  app.get('/metrics', async (request, reply) => {
    if (!scrape.admits(request.headers.authorization)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="aifi-metrics"').send({ error: 'the scrape token is required (Authorization: Bearer <token>)' });
    }
    const all = registries.length ? Registry.merge([register, ...registries]) : register;
    return reply.type(all.contentType).send(await all.metrics());
  });
  return app as unknown as FastifyInstance;
}
