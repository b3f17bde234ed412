import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError, type Store } from './store.ts';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export interface MigrationReport {
  applied: string[];
  current: number;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Splits a migration file into statements: a `;` at the end of a line ends one. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The numbered migrations (`NNNN_name.sql`), in order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f));
  const migrations = files
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ''),
      statements: splitStatements(readFileSync(join(dir, file), 'utf8')),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && m.version === migrations[i - 1]!.version) {
      throw new StoreError('failed', `two migrations share version ${m.version}: ${migrations[i - 1]!.name} and ${m.name}`);
    }
  });
  return migrations;
}

export class MigrationError extends StoreError {
  constructor(
    readonly migration: string,
    statement: number,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('failed', `migration ${migration} failed at statement ${statement}: ${detail}`, undefined, { cause });
    this.name = 'MigrationError';
  }
}

/**
 * Applies, in order, each migration not yet recorded in `schema_migrations`,
 * and records it once all its statements succeeded. Running it again is a
 * no-op; a failing migration is named and is not recorded, so the version does
 * not advance (its statements are written to be safe to run again).
 */
export async function migrate(
  store: Store,
  migrations: Migration[] = loadMigrations(),
  ledger: string = 'schema_migrations',
): Promise<MigrationReport> {
  // A cluster's schema is made ON CLUSTER from all the migrations at once; statements for one engine would make one node differ.
  if (store.cluster !== undefined) return requireClusterSchema(store, store.cluster, migrations, ledger);
  await store.exec(
    `CREATE TABLE IF NOT EXISTS ${ledger}
     (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
     ENGINE = ReplacingMergeTree ORDER BY version`,
  );
  const done = new Set(
    (await store.query<{ version: number }>(`SELECT version FROM ${ledger} FINAL`)).map((r) => Number(r.version)),
  );
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await store.exec(statement);
      } catch (error) {
        throw new MigrationError(migration.name, index + 1, error);
      }
    }
    await store.insert(ledger, [{ version: migration.version, name: migration.name }]);
    applied.push(migration.name);
    done.add(migration.version);
  }
  return { applied, current: Math.max(0, ...done) };
}

async function requireClusterSchema(store: Store, cluster: string, migrations: Migration[], ledger: string): Promise<MigrationReport> {
  let done: Set<number>;
  try {
    done = new Set((await store.query<{ version: number }>(`SELECT version FROM ${ledger} FINAL`)).map((r) => Number(r.version)));
  } catch (error) {
    if (!(error instanceof StoreError && error.kind === 'unknown-object')) throw error;
    done = new Set();
  }
  const missing = migrations.filter((m) => !done.has(m.version)).map((m) => m.name);
  if (missing.length > 0) {
    throw new StoreError('failed', `the schema of cluster ${cluster} lacks ${missing.join(', ')} (${store.location}): run  aifi migrate --cluster ${cluster}`);
  }
  return { applied: [], current: Math.max(0, ...done) };
}

/** The highest recorded migration version, or 0 on a store never migrated. */
export async function schemaVersion(store: Store): Promise<number> {
  try {
    const rows = await store.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations');
    return Number(rows[0]?.v ?? 0);
  } catch (error) {
    if (error instanceof StoreError && error.kind === 'unknown-object') return 0;
    throw error;
  }
}
