import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import { checkReadOnlyStatement, generateClusterSchema, migrate, migrateCluster, openStore } from '../store/index.ts';
import { UsageError } from './cli-error.ts';
import { queryThroughRunning } from './local-access.ts';

export const storeHelp = `aifi migrate                  create or upgrade the ClickHouse schema (safe to run again)
aifi migrate --cluster NAME [--print]
                              the same schema on a ClickHouse cluster (AIFI_CLICKHOUSE_URL): Replicated tables
                              ON CLUSTER, sharded by hospital behind Distributed tables; --print writes the
                              statements instead of running them (no server needed)
aifi query "<SQL>" [--format F] [--param name=value ...]
                              run a read-only query and print the result; output to files is refused, and
                              time, rows read and memory are bounded (AIFI_QUERY_MAX_*); while aifi up runs,
                              that process answers (a SELECT, without SETTINGS)
                              (F: any ClickHouse output format; default PrettyCompactNoEscapes)`;

export async function migrateCommand(config: Config, args: string[], out: (text: string) => void, err: (text: string) => void = () => {}): Promise<void> {
  const { values } = parseArgs({ args, options: { cluster: { type: 'string' }, print: { type: 'boolean', default: false } } });
  if (values.print && !values.cluster) throw new UsageError('--print goes with --cluster NAME');
  if (values.cluster !== undefined) return migrateClusterCommand(config, values.cluster, values.print, out, err);
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

async function migrateClusterCommand(config: Config, cluster: string, print: boolean, out: (text: string) => void, err: (text: string) => void): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(cluster)) throw new UsageError(`--cluster takes the name of a cluster in the servers' remote_servers, got ${JSON.stringify(cluster)}`);
  const server = config.store.kind === 'server' ? config.store : null;
  if (!print && !server) throw new UsageError('migrate --cluster runs on a ClickHouse server of the cluster: set AIFI_CLICKHOUSE_URL (or add --print for the statements)');
  if (server?.cluster !== undefined && server.cluster !== cluster) {
    throw new UsageError(`--cluster ${cluster} is not AIFI_CLICKHOUSE_CLUSTER (${server.cluster}): the analytics would read another cluster than the one migrated`);
  }
  const database = server?.database ?? 'default';
  const statements = await generateClusterSchema({ cluster, database });
  if (print) {
    out(statements.map((s) => `${s.sql};`).join('\n\n'));
    return;
  }
  const store = await openStore({ ...server!, cluster });
  try {
    const report = await migrateCluster(store, { cluster, database }, statements, undefined, (done, total, name) => {
      if (process.stderr.isTTY) process.stderr.write(`\r  ${done}/${total} ${name.padEnd(40)}`);
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (report.columnsAdded.length) err(`added columns ${report.columnsAdded.join(', ')}`);
    out(`cluster ${cluster}: ${report.created} statements on every node; schema at version ${report.current} (${store.location})`);
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
