import { ConfigError } from './json-file.ts';
import { z } from 'zod';

/** A trace URL: http(s) with {trace_id} where the id of a study's trace goes. */
export const TRACE_URL = /^https?:\/\/\S*\{trace_id\}\S*$/;
export const TRACE_URL_RULE = 'must be an http(s) URL with {trace_id} where the trace id goes, e.g. http://127.0.0.1:16686/trace/{trace_id}';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);

/**
 * Every setting, from `AIFI_*` environment variables. The defaults run the
 * embedded mode untouched: chDB under ./.aifi, everything on 127.0.0.1.
 */
export const configSchema = z
  .object({
    AIFI_DATA_DIR: z.string().min(1).default('./.aifi'),
    AIFI_CLICKHOUSE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8123' }).optional(),
    AIFI_CLICKHOUSE_USER: z.string().optional(),
    AIFI_CLICKHOUSE_PASSWORD: z.string().optional(),
    AIFI_CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a plain ClickHouse identifier' }).optional(),
    AIFI_CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'must be the name of a cluster in the servers\' remote_servers' }).optional(),
    AIFI_KAFKA_BROKERS: z.string().optional(),
    AIFI_KAFKA_TOPIC: z.string().min(1).default('aifi.events'),
    AIFI_KAFKA_SESSION_MS: z.coerce.number().int().min(6_000).max(300_000).optional(),
    AIFI_HOST: z.string().min(1).default('127.0.0.1'),
    AIFI_PORT: port.default(8080),
    AIFI_TRUST_PROXY: z
      .string()
      .regex(/^\s*[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*\s*$/, { error: 'must be the addresses (or CIDR ranges) of the proxies in front, separated by commas, e.g. 127.0.0.1' })
      .optional(),
    AIFI_DICOM_PORT: port.default(11112),
    AIFI_DICOM_AE_TITLE: z.string().regex(/^[A-Z0-9_ ]{1,16}$/, { error: 'must be 1-16 upper-case characters' }).default('AIFI'),
    AIFI_HL7_HOST: z.string().min(1).default('127.0.0.1'),
    AIFI_HL7_PORT: port.default(2575),
    AIFI_HOSPITALS_FILE: z.string().min(1).optional(),
    AIFI_CONTRACTS_FILE: z.string().min(1).optional(),
    AIFI_SECRETS_FILE: z.string().min(1).optional(),
    AIFI_STUDY_QUIET_MS: z.coerce.number().int().min(0).max(3_600_000).default(3000),
    AIFI_STOW_MAX_BYTES: z.coerce.number().int().min(1024).default(256 * 1024 * 1024),
    AIFI_STOW_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
    AIFI_VENDOR_URLS: z
      .string()
      .regex(/^\s*[a-z-]+=https?:\/\/\S+?(\s*,\s*[a-z-]+=https?:\/\/\S+?)*\s*$/, { error: 'must be product=url pairs separated by commas, e.g. bonexpert=http://127.0.0.1:9001' })
      .optional(),
    AIFI_INFERENCE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
    AIFI_INFERENCE_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
    AIFI_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    AIFI_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
    AIFI_COLLECTOR_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a collector' }).optional(),
    AIFI_COLLECTOR_TOKEN: z.string().min(1).optional(),
    AIFI_COLLECTOR_TOKENS_FILE: z.string().min(1).optional(),
    AIFI_TLS_CERT_FILE: z.string().min(1).optional(),
    AIFI_TLS_KEY_FILE: z.string().min(1).optional(),
    AIFI_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
    AIFI_COLLECTOR_CA_FILE: z.string().min(1).optional(),
    AIFI_COLLECTOR_CERT_FILE: z.string().min(1).optional(),
    AIFI_COLLECTOR_KEY_FILE: z.string().min(1).optional(),
    AIFI_COLLECTOR_BATCH_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    AIFI_COLLECTOR_FLUSH_MS: z.coerce.number().int().min(1).max(60_000).default(1_000),
    AIFI_COLLECTOR_QUEUE_ROWS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
    AIFI_COLLECTOR_WRITE_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
    AIFI_EVENT_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(730),
    AIFI_EVENT_MAX_AHEAD_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).default(15),
    AIFI_METRICS_TOKEN_FILE: z.string().min(1).optional(),
    AIFI_VIEWER_TOKENS_FILE: z.string().min(1).optional(),
    AIFI_TRACE_URL: z.string().regex(TRACE_URL, { error: TRACE_URL_RULE }).optional(),
    AIFI_ALERTMANAGER_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of an Alertmanager' }).optional(),
    AIFI_QUERY_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    AIFI_QUERY_MAX_ROWS: z.coerce.number().int().min(1).default(10_000_000_000),
    AIFI_QUERY_MAX_MEMORY_BYTES: z.coerce.number().int().min(1024 * 1024).default(4 * 1024 * 1024 * 1024),
    AIFI_TURNAROUND_MAX_MINUTES: z.coerce.number().positive().max(366 * 24 * 60).default(7 * 24 * 60),
    AIFI_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    AIFI_REQUIRE_SERVICES: bool.default(false),
  });

export type Env = z.infer<typeof configSchema>;

export interface Config {
  dataDir: string;
  store:
    | { kind: 'embedded'; path: string }
    | { kind: 'server'; url: string; user: string; password: string; database: string; cluster?: string };
  /** `sessionMs`: the consumer group's session (undefined: the collector's default). */
  kafka: { brokers: string[]; topic: string; sessionMs: number | undefined } | null;
  /** `trustProxy`: the proxies whose X-Forwarded-* headers are believed (none when empty). */
  http: {
    host: string;
    port: number;
    trustProxy: string[];
    /** HTTPS with this certificate and key (PEM files); with `clientCaFile`, only clients with a certificate it signed (mutual TLS). */
    tls: { certFile: string; keyFile: string; clientCaFile: string | undefined } | null;
  };
  dicom: { host: string; port: number; aeTitle: string };
  /** The HL7 v2 (MLLP) receiver of the RIS's reports. */
  hl7: { host: string; port: number };
  collector: {
    /** Bearer tokens (SHA-256) of the senders allowed to POST /v1/events. */
    tokensFile: string | undefined;
    /** Rows per ClickHouse insert, flush interval, and rows held at most before senders are told to wait. */
    batchRows: number;
    flushMs: number;
    queueRows: number;
    /** Attempts per insert batch for retryable store errors. */
    writeAttempts: number;
    /** How far an event's occurred_at may lie before and after its arrival. */
    window: { maxAgeMs: number; maxAheadMs: number };
  };
  orchestrator: {
    hospitalsFile: string | undefined;
    secretsFile: string;
    quietMs: number;
    maxStowBytes: number;
    /** STOW-RS uploads read at once; memory holds one part of each. */
    stowConcurrency: number;
    /** Vendor services by product; products without one get a simulated vendor in the embedded mode. */
    vendorUrls: Record<string, string>;
    inference: { timeoutMs: number; maxAttempts: number };
    delivery: { timeoutMs: number; maxAttempts: number };
    /** A remote collector to send events to (instead of the one in this process or Kafka). */
    collector: { url: string; token: string; tls: { caFile?: string; certFile?: string; keyFile?: string } } | null;
  };
  /** The built-in dashboard view: who may see which dashboards. */
  viewer: {
    /** Viewer tokens file; `generated` when it is the default one, made with a token per audience on first start. */
    tokensFile: string;
    generated: boolean;
  };
  /** The bearer token that may scrape /metrics; `generated` when it is the default file, made on first start. */
  metrics: { tokenFile: string; generated: boolean };
  /** The trace of a study, e.g. http://127.0.0.1:16686/trace/{trace_id}; no links when unset. */
  traceUrl: string | null;
  /** The contracts cost is priced under (read and validated at start by the analytics); the pilot's assumed contracts when unset. */
  contractsFile: string | undefined;
  /** Where analytics alerts go (Alertmanager API v2); none when unset. */
  alertmanagerUrl: string | null;
  /** Bounds on each `aifi query`. */
  query: { maxSeconds: number; maxRowsRead: number; maxMemoryBytes: number };
  /** Analytics settings: a time to result longer than `implausibleMinutes` is left out of turnaround and counted beside it. */
  analytics: { implausibleMinutes: number };
  logLevel: Env['AIFI_LOG_LEVEL'];
  requireServices: boolean;
}

/** Settings that make sense only together with another. */
function contradictions(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (!env.AIFI_CLICKHOUSE_URL) {
    for (const key of ['AIFI_CLICKHOUSE_USER', 'AIFI_CLICKHOUSE_PASSWORD', 'AIFI_CLICKHOUSE_DATABASE', 'AIFI_CLICKHOUSE_CLUSTER']) {
      if (env[key] !== undefined) problems.push(`${key}: is set but AIFI_CLICKHOUSE_URL is not: set the URL to use a ClickHouse server, or unset this for the embedded store`);
    }
  }
  if (env.AIFI_COLLECTOR_URL && !env.AIFI_COLLECTOR_TOKEN) problems.push('AIFI_COLLECTOR_TOKEN: is required with AIFI_COLLECTOR_URL (the collector authenticates senders)');
  if (!env.AIFI_TLS_CERT_FILE !== !env.AIFI_TLS_KEY_FILE) problems.push('AIFI_TLS_CERT_FILE and AIFI_TLS_KEY_FILE: HTTPS needs both the certificate and its key');
  if (env.AIFI_TLS_CLIENT_CA_FILE && !env.AIFI_TLS_CERT_FILE) problems.push('AIFI_TLS_CLIENT_CA_FILE: mutual TLS needs HTTPS: set AIFI_TLS_CERT_FILE and AIFI_TLS_KEY_FILE');
  if (!env.AIFI_COLLECTOR_CERT_FILE !== !env.AIFI_COLLECTOR_KEY_FILE) problems.push('AIFI_COLLECTOR_CERT_FILE and AIFI_COLLECTOR_KEY_FILE: a client certificate needs its key');
  for (const key of ['AIFI_COLLECTOR_CA_FILE', 'AIFI_COLLECTOR_CERT_FILE']) {
    if (env[key] && !env.AIFI_COLLECTOR_URL?.startsWith('https:')) problems.push(`${key}: is set but AIFI_COLLECTOR_URL is not an https URL`);
  }
  if (env.AIFI_COLLECTOR_URL && env.AIFI_KAFKA_BROKERS) problems.push('AIFI_COLLECTOR_URL: events go either to Kafka (AIFI_KAFKA_BROKERS) or to a collector over HTTP, not both');
  return problems;
}

/** Parses the environment once, at start-up; a contradiction or a bad value fails with every problem named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('AIFI_') && v !== ''));
  const parsed = configSchema.safeParse(relevant);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
  lines.push(...contradictions(relevant).map((c) => `  ${c}`));
  if (parsed.success && parsed.data.AIFI_COLLECTOR_QUEUE_ROWS < parsed.data.AIFI_COLLECTOR_BATCH_ROWS) {
    lines.push('  AIFI_COLLECTOR_QUEUE_ROWS: must be at least AIFI_COLLECTOR_BATCH_ROWS (the queue holds whole batches)');
  }
  if (!parsed.success || lines.length > 0) {
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = e.AIFI_DATA_DIR;
  return {
    dataDir,
    store: e.AIFI_CLICKHOUSE_URL
      ? {
          kind: 'server',
          url: e.AIFI_CLICKHOUSE_URL,
          user: e.AIFI_CLICKHOUSE_USER ?? 'default',
          password: e.AIFI_CLICKHOUSE_PASSWORD ?? '',
          database: e.AIFI_CLICKHOUSE_DATABASE ?? 'default',
          ...(e.AIFI_CLICKHOUSE_CLUSTER ? { cluster: e.AIFI_CLICKHOUSE_CLUSTER } : {}),
        }
      : { kind: 'embedded', path: `${dataDir.replace(/\/+$/, '')}/clickhouse` },
    kafka: e.AIFI_KAFKA_BROKERS
      ? { brokers: e.AIFI_KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean), topic: e.AIFI_KAFKA_TOPIC, sessionMs: e.AIFI_KAFKA_SESSION_MS }
      : null,
    http: {
      host: e.AIFI_HOST,
      port: e.AIFI_PORT,
      trustProxy: (e.AIFI_TRUST_PROXY ?? '').split(',').map((a) => a.trim()).filter(Boolean),
      tls: e.AIFI_TLS_CERT_FILE && e.AIFI_TLS_KEY_FILE ? { certFile: e.AIFI_TLS_CERT_FILE, keyFile: e.AIFI_TLS_KEY_FILE, clientCaFile: e.AIFI_TLS_CLIENT_CA_FILE } : null,
    },
    dicom: { host: e.AIFI_HOST, port: e.AIFI_DICOM_PORT, aeTitle: e.AIFI_DICOM_AE_TITLE },
    hl7: { host: e.AIFI_HL7_HOST, port: e.AIFI_HL7_PORT },
    collector: {
      tokensFile: e.AIFI_COLLECTOR_TOKENS_FILE,
      batchRows: e.AIFI_COLLECTOR_BATCH_ROWS,
      flushMs: e.AIFI_COLLECTOR_FLUSH_MS,
      queueRows: e.AIFI_COLLECTOR_QUEUE_ROWS,
      writeAttempts: e.AIFI_COLLECTOR_WRITE_ATTEMPTS,
      window: { maxAgeMs: e.AIFI_EVENT_MAX_AGE_DAYS * 86_400_000, maxAheadMs: e.AIFI_EVENT_MAX_AHEAD_MINUTES * 60_000 },
    },
    orchestrator: {
      hospitalsFile: e.AIFI_HOSPITALS_FILE,
      secretsFile: e.AIFI_SECRETS_FILE ?? `${dataDir.replace(/\/+$/, '')}/secrets.json`,
      quietMs: e.AIFI_STUDY_QUIET_MS,
      maxStowBytes: e.AIFI_STOW_MAX_BYTES,
      stowConcurrency: e.AIFI_STOW_CONCURRENCY,
      vendorUrls: Object.fromEntries(
        (e.AIFI_VENDOR_URLS ?? '')
          .split(',')
          .map((pair) => pair.trim())
          .filter(Boolean)
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
      inference: { timeoutMs: e.AIFI_INFERENCE_TIMEOUT_MS, maxAttempts: e.AIFI_INFERENCE_ATTEMPTS },
      delivery: { timeoutMs: e.AIFI_DELIVERY_TIMEOUT_MS, maxAttempts: e.AIFI_DELIVERY_ATTEMPTS },
      collector: e.AIFI_COLLECTOR_URL
        ? { url: e.AIFI_COLLECTOR_URL, token: e.AIFI_COLLECTOR_TOKEN ?? '', tls: { caFile: e.AIFI_COLLECTOR_CA_FILE, certFile: e.AIFI_COLLECTOR_CERT_FILE, keyFile: e.AIFI_COLLECTOR_KEY_FILE } }
        : null,
    },
    viewer: {
      tokensFile: e.AIFI_VIEWER_TOKENS_FILE ?? `${dataDir.replace(/\/+$/, '')}/viewers.json`,
      generated: !e.AIFI_VIEWER_TOKENS_FILE,
    },
    metrics: { tokenFile: e.AIFI_METRICS_TOKEN_FILE ?? `${dataDir.replace(/\/+$/, '')}/metrics-token`, generated: !e.AIFI_METRICS_TOKEN_FILE },
    traceUrl: e.AIFI_TRACE_URL ?? null,
    contractsFile: e.AIFI_CONTRACTS_FILE,
    alertmanagerUrl: e.AIFI_ALERTMANAGER_URL ?? null,
    query: { maxSeconds: e.AIFI_QUERY_MAX_SECONDS, maxRowsRead: e.AIFI_QUERY_MAX_ROWS, maxMemoryBytes: e.AIFI_QUERY_MAX_MEMORY_BYTES },
    analytics: { implausibleMinutes: e.AIFI_TURNAROUND_MAX_MINUTES },
    logLevel: e.AIFI_LOG_LEVEL,
    requireServices: e.AIFI_REQUIRE_SERVICES,
  };
}
export { readJsonFile, readSettingFile, ConfigError } from './json-file.ts';
