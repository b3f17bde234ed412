import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import { checkReadOnlyStatement, migrate, openStore } from '../store/index.ts';
import { UsageError } from './cli-error.ts';
import { queryThroughRunning } from './local-access.ts';

export const storeHelp = `aifi migrate                  create or upgrade the ClickHouse schema (safe to run again)
aifi query "<SQL>" [--format F] [--param name=value ...]
                              run a read-only query and print the result; output to files is refused, and
                              time, rows read and memory are bounded (AIFI_QUERY_MAX_*); while aifi up runs,
                              that process answers (a SELECT, without SETTINGS)
                              (F: any ClickHouse output format; default PrettyCompactNoEscapes)`;

export async function migrateCommand(config: Config, out: (text: string) => void): Promise<void> {
  const store = await openStore(config.store);
  try {
    const report = await migrate(store);
    out(
      report.applied.length
        ? `applied ${report.applied.join(', ')}; schema at version ${report.current} (${store.location})`
        : `schema already at version ${report.current} (${store.location})`,
    );
  } finally {
    await store.close();
  }
}

export async function queryCommand(config: Config, args: string[], out: (text: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'PrettyCompactNoEscapes' }, param: { type: 'string', multiple: true, default: [] } },
  });
  if (positionals.length !== 1) throw new UsageError('query needs exactly one SQL statement, in quotes');
  const params: Record<string, string> = {};
  for (const p of values.param) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new UsageError(`--param takes name=value, got ${JSON.stringify(p)}`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const served = await queryThroughRunning(config, { sql: positionals[0]!, format: values.format, params });
  if (served !== null) {
    out(served.replace(/\n$/, ''));
    return;
  }
  const store = await openStore(config.store, { readonly: true, limits: config.query });
  try {
    await checkReadOnlyStatement(store, positionals[0]!);
    const text = await store.queryText(positionals[0]!, values.format, params);
    out(text.replace(/\n$/, ''));
  } finally {
    await store.close();
  }
}
