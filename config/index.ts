import { z } from 'zod';

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
    AIFI_KAFKA_BROKERS: z.string().optional(),
    AIFI_KAFKA_TOPIC: z.string().min(1).default('aifi.events'),
    AIFI_HOST: z.string().min(1).default('127.0.0.1'),
    AIFI_PORT: port.default(8080),
    AIFI_DICOM_PORT: port.default(11112),
    AIFI_DICOM_AE_TITLE: z.string().regex(/^[A-Z0-9_ ]{1,16}$/, { error: 'must be 1-16 upper-case characters' }).default('AIFI'),
    AIFI_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    AIFI_REQUIRE_SERVICES: bool.default(false),
  });

export type Env = z.infer<typeof configSchema>;

export interface Config {
  dataDir: string;
  store:
    | { kind: 'embedded'; path: string }
    | { kind: 'server'; url: string; user: string; password: string; database: string };
  kafka: { brokers: string[]; topic: string } | null;
  http: { host: string; port: number };
  dicom: { host: string; port: number; aeTitle: string };
  logLevel: Env['AIFI_LOG_LEVEL'];
  requireServices: boolean;
}

/** Settings that make sense only together with another. */
function contradictions(env: Record<string, string | undefined>): string[] {
  if (env.AIFI_CLICKHOUSE_URL) return [];
  return ['AIFI_CLICKHOUSE_USER', 'AIFI_CLICKHOUSE_PASSWORD', 'AIFI_CLICKHOUSE_DATABASE']
    .filter((key) => env[key] !== undefined)
    .map((key) => `${key}: is set but AIFI_CLICKHOUSE_URL is not: set the URL to use a ClickHouse server, or unset this for the embedded store`);
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once, at start-up; a contradiction or a bad value fails with every problem named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('AIFI_') && v !== ''));
  const parsed = configSchema.safeParse(relevant);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
  lines.push(...contradictions(relevant).map((c) => `  ${c}`));
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
        }
      : { kind: 'embedded', path: `${dataDir.replace(/\/+$/, '')}/clickhouse` },
    kafka: e.AIFI_KAFKA_BROKERS
      ? { brokers: e.AIFI_KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean), topic: e.AIFI_KAFKA_TOPIC }
      : null,
    http: { host: e.AIFI_HOST, port: e.AIFI_PORT },
    dicom: { host: e.AIFI_HOST, port: e.AIFI_DICOM_PORT, aeTitle: e.AIFI_DICOM_AE_TITLE },
    logLevel: e.AIFI_LOG_LEVEL,
    requireServices: e.AIFI_REQUIRE_SERVICES,
  };
}
