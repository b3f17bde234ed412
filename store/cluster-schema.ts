import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from './embedded-store.ts';
import { loadMigrations, migrate, type Migration } from './migrations.ts';
import { checkIdentifier, StoreError, type Store } from './store.ts';

/**
 * The schema of a ClickHouse cluster, generated from the numbered migrations rather than
 * written a second time: the migrations run on a fresh embedded engine, and each object they
 * leave behind is restated for the cluster from the engine's own definition of it.
 *
 * - A table with a `hospital` column is sharded by hospital: `<name>_local` on every node, a
 *   Replicated engine of the same family under `/clickhouse/tables/{shard}/…`, and `<name>`
 *   itself a Distributed table over it keyed by `cityHash64(hospital)`. A hospital's events,
 *   lifecycles and results all sit on one shard, so the materialized views aggregate on the
 *   shard where the events land, and a ReplacingMergeTree's FINAL sees every version of a row.
 *   Joins across hospitals (a product's first week anywhere, the network beside a hospital) are
 *   computed over the whole cluster: the server store reads with `distributed_product_mode = 'global'`.
 * - A table without one (settings, norms, the analytics watermark, the migration ledger) is
 *   small: one Replicated table of the same name, kept whole on every node (a path without
 *   {shard}), so a join with it on any shard sees all of it.
 * - A materialized view runs on every node, from the local table its source maps to, into the
 *   local table its target maps to. A plain view becomes `<name>_local` over local tables, and
 *   `<name>` a Distributed table over that view.
 *
 * Every statement runs `ON CLUSTER` and is safe to run again. The analytics and dashboards
 * keep their SQL: the names they read are the Distributed (or whole) tables.
 */
export interface ClusterStatement {
  /** The object the statement creates. */
  name: string;
  /** sharded: a node's share of a sharded table; distributed: the table over the shares; whole: kept entire on every node. */
  role: 'sharded' | 'distributed' | 'whole' | 'materialized-view' | 'view';
  sql: string;
  /** A table's column definitions as the engine states them (`name` Type DEFAULT …), for upgrades. */
  columns: string[];
}

export interface ClusterSchemaOptions {
  /** The cluster's name in the servers' `remote_servers`. */
  cluster: string;
  /** The database on every node. */
  database: string;
}

/** The suffix of a node's share of a sharded table or view. */
export const LOCAL_SUFFIX = '_local';
export const SHARDING_KEY = 'cityHash64(hospital)';

/** Generates the cluster schema by applying `migrations` to a throw-away embedded engine. */
export async function generateClusterSchema(options: ClusterSchemaOptions, migrations: Migration[] = loadMigrations()): Promise<ClusterStatement[]> {
  const folder = mkdtempSync(join(tmpdir(), 'aifi-cluster-schema-'));
  const store = new EmbeddedStore({ path: folder });
  try {
    await migrate(store, migrations);
    return await clusterSchemaOf(store, options);
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

interface TableRow {
  name: string;
  engine: string;
  create_table_query: string;
  has_hospital: number;
}

/** Restates for a cluster every table and view of the current database of `store`. */
export async function clusterSchemaOf(store: Store, options: ClusterSchemaOptions): Promise<ClusterStatement[]> {
  const cluster = quoteString(options.cluster);
  const db = checkIdentifier(options.database);
  const rows = await store.query<TableRow>(
    `SELECT t.name AS name, t.engine AS engine, t.create_table_query AS create_table_query,
            countIf(c.name = 'hospital') AS has_hospital
     FROM system.tables AS t LEFT JOIN system.columns AS c ON c.database = t.database AND c.table = t.name
     WHERE t.database = currentDatabase() AND NOT t.is_temporary
     GROUP BY t.name, t.engine, t.create_table_query ORDER BY t.name`,
  );
  const source = (await store.query<{ d: string }>('SELECT currentDatabase() AS d'))[0]!.d;
  const tables = rows.filter((r) => r.engine.endsWith('MergeTree'));
  const views = rows.filter((r) => r.engine === 'View');
  const mvs = rows.filter((r) => r.engine === 'MaterializedView');
  const other = rows.filter((r) => !tables.includes(r) && !views.includes(r) && !mvs.includes(r));
  if (other.length > 0) throw new StoreError('failed', `no cluster form for ${other.map((r) => `${r.name} (${r.engine})`).join(', ')}`);

  const sharded = new Set(tables.filter((t) => Number(t.has_hospital) > 0).map((t) => t.name));
  for (const v of views) sharded.add(v.name);
  /** Where a statement on a node reads or writes `name`. */
  const nodeName = (name: string) => `${db}.${sharded.has(name) ? name + LOCAL_SUFFIX : name}`;
  const retarget = (sql: string) => sql.replace(new RegExp(`\\b${escapeRegExp(source)}\\.([A-Za-z_][A-Za-z0-9_]*)\\b`, 'g'), (_, n: string) => nodeName(n));

  const out: ClusterStatement[] = [];
  for (const t of tables) {
    const parts = splitCreate(t.create_table_query, t.name);
    const engine = parseEngine(parts.rest, t.name);
    const isSharded = sharded.has(t.name);
    const node = nodeName(t.name);
    const path = isSharded ? `/clickhouse/tables/{shard}/{database}/${t.name}${LOCAL_SUFFIX}` : `/clickhouse/tables/whole/{database}/${t.name}`;
    const args = [quoteString(path), `'{replica}'`, ...(engine.args ? [engine.args] : [])].join(', ');
    out.push({
      name: node.slice(db.length + 1),
      role: isSharded ? 'sharded' : 'whole',
      sql: `CREATE TABLE IF NOT EXISTS ${node} ON CLUSTER ${cluster} ${parts.columns} ENGINE = Replicated${engine.name}(${args})${engine.tail}`,
      columns: columnDefinitions(parts.columns, t.name),
    });
    if (isSharded) {
      out.push({
        name: t.name,
        role: 'distributed',
        sql: `CREATE TABLE IF NOT EXISTS ${db}.${t.name} ON CLUSTER ${cluster} ${parts.columns} ENGINE = Distributed(${cluster}, ${quoteString(options.database)}, ${quoteString(t.name + LOCAL_SUFFIX)}, ${SHARDING_KEY})`,
        columns: columnDefinitions(parts.columns, t.name),
      });
    }
  }
  for (const v of views) {
    const parts = splitCreate(v.create_table_query, v.name);
    const body = retarget(parts.rest.replace(/^\s*AS\s+/i, ''));
    out.push({ name: v.name + LOCAL_SUFFIX, role: 'view', sql: `CREATE OR REPLACE VIEW ${nodeName(v.name)} ON CLUSTER ${cluster} ${parts.columns} AS ${body}`, columns: [] });
    out.push({
      name: v.name,
      role: 'distributed',
      sql: `CREATE TABLE IF NOT EXISTS ${db}.${v.name} ON CLUSTER ${cluster} ${parts.columns} ENGINE = Distributed(${cluster}, ${quoteString(options.database)}, ${quoteString(v.name + LOCAL_SUFFIX)})`,
      columns: columnDefinitions(parts.columns, v.name),
    });
  }
  for (const mv of mvs) {
    const m = new RegExp(`^CREATE MATERIALIZED VIEW ${escapeRegExp(source)}\\.${escapeRegExp(mv.name)} TO ([A-Za-z0-9_.]+) `).exec(mv.create_table_query);
    if (!m) throw new StoreError('failed', `materialized view ${mv.name} writes to no table (TO …): no cluster form for it`);
    const afterTo = mv.create_table_query.slice(m[0].length);
    const close = matchingParen(afterTo, 0, mv.name);
    const columns = afterTo.slice(0, close + 1);
    const body = retarget(afterTo.slice(close + 1).trim().replace(/^AS\s+/i, ''));
    out.push({
      name: mv.name,
      role: 'materialized-view',
      sql: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${mv.name} ON CLUSTER ${cluster} TO ${retarget(m[1]!)} ${columns} AS ${body}`,
      columns: [],
    });
  }
  return out;
}

/**
 * Creates (or completes) the cluster schema through a server of the cluster: each statement of
 * `statements` (from `generateClusterSchema`), then, on a cluster made by an older version, each
 * column a later migration added (`ADD COLUMN IF NOT EXISTS`, on the shares before the
 * Distributed tables), and finally the versions in the ledger. Safe to run again.
 */
export async function migrateCluster(
  store: Store,
  options: ClusterSchemaOptions,
  statements: ClusterStatement[],
  migrations: Migration[] = loadMigrations(),
  progress: (done: number, total: number, name: string) => void = () => {},
): Promise<{ created: number; columnsAdded: string[]; current: number }> {
  const db = checkIdentifier(options.database);
  for (const [i, s] of statements.entries()) {
    progress(i + 1, statements.length, s.name);
    try {
      await store.exec(s.sql);
    } catch (error) {
      throw new StoreError('failed', `creating ${s.name} on cluster ${options.cluster} failed: ${(error as Error).message}`, undefined, { cause: error });
    }
  }
  const present = await store.query<{ table: string; name: string }>('SELECT table, name FROM system.columns WHERE database = {d:String}', { d: options.database });
  const have = new Set(present.map((c) => `${c.table}.${c.name}`));
  const columnsAdded: string[] = [];
  for (const s of statements) {
    for (const definition of s.columns) {
      const column = /^`([^`]+)`/.exec(definition)?.[1];
      if (!column || have.has(`${s.name}.${column}`)) continue;
      await store.exec(`ALTER TABLE ${db}.${s.name} ON CLUSTER ${quoteString(options.cluster)} ADD COLUMN IF NOT EXISTS ${definition}`);
      columnsAdded.push(`${s.name}.${column}`);
    }
  }
  const current = Math.max(0, ...migrations.map((m) => m.version));
  await store.insert('schema_migrations', migrations.map((m) => ({ version: m.version, name: m.name })));
  return { created: statements.length, columnsAdded, current };
}

/**
 * The statement to send to a cluster for one the analytics send to a single engine: a
 * TRUNCATE cannot go through a Distributed table, so it goes to the shares, on every node.
 * Every other statement is sent as it is: the names it reads and writes are the Distributed
 * (or whole) tables.
 */
export function onCluster(sql: string, cluster: string, distributed: ReadonlySet<string>): string {
  const m = /^\s*TRUNCATE\s+TABLE\s+(?:IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*;?\s*$/i.exec(sql);
  if (!m) return sql;
  const table = m[1]!;
  return `TRUNCATE TABLE ${distributed.has(table) ? table + LOCAL_SUFFIX : table} ON CLUSTER ${quoteString(cluster)}`;
}

/** The top-level, comma-separated definitions of a `( … )` column list. */
function columnDefinitions(columns: string, name: string): string[] {
  const out: string[] = [];
  let start = 1;
  outsideQuotes(columns, 0, (c, i, depth) => {
    if ((c === ',' && depth === 1) || (c === ')' && depth === 0)) {
      out.push(columns.slice(start, i).trim());
      start = i + 1;
    }
    return c === ')' && depth === 0;
  }, name);
  return out.filter((d) => d.length > 0);
}

/** `CREATE … db.name (columns) rest` → its column list (with the parentheses) and what follows. */
function splitCreate(create: string, name: string): { columns: string; rest: string } {
  const open = create.indexOf('(');
  if (open < 0) throw new StoreError('failed', `the definition of ${name} has no column list`);
  const close = matchingParen(create, open, name);
  return { columns: create.slice(open, close + 1), rest: create.slice(close + 1).trim() };
}

/** `ENGINE = Name(args) tail` → the engine family, its arguments and the clauses after it. */
function parseEngine(rest: string, name: string): { name: string; args: string; tail: string } {
  const m = /^ENGINE = ([A-Za-z]*MergeTree)/.exec(rest);
  if (!m) throw new StoreError('failed', `${name}: expected a MergeTree-family engine, got ${rest.slice(0, 60)}`);
  let after = rest.slice(m[0].length);
  let args = '';
  if (after.startsWith('(')) {
    const close = matchingParen(after, 0, name);
    args = after.slice(1, close).trim();
    after = after.slice(close + 1);
  }
  return { name: m[1]!, args, tail: after.replace(/\s+$/, '') };
}

/** The index of the parenthesis closing the one at `open`, skipping quoted text. */
function matchingParen(text: string, open: number, name: string): number {
  return outsideQuotes(text, open, (c, _, depth) => c === ')' && depth === 0, name);
}

/**
 * Visits each character of `text` from `from` that is outside quotes, with the depth of
 * parentheses after it, until `stop` says so; returns where it stopped.
 */
function outsideQuotes(text: string, from: number, stop: (c: string, i: number, depth: number) => boolean, name: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    if (stop(c, i, depth)) return i;
  }
  throw new StoreError('failed', `the definition of ${name} has unbalanced parentheses`);
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
