import { accessSync, chmodSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Session } from 'chdb';
import { limitSettings, type QueryLimits } from './read-only-query.ts';
import { checkIdentifier, classifyStoreError, StoreError, TAB_SEPARATED_INSERT_SETTINGS, toJsonEachRow, type Params, type Row, type Store } from './store.ts';

/**
 * The engine is loaded with the first embedded store, not with the store's
 * door: a thread that only formats rows (a bulk-load worker) never loads
 * ClickHouse, whose native side must not be torn down with a worker thread.
 */
const chdb = (): typeof import('chdb') => createRequire(import.meta.url)('chdb');

/** Files of RowBinary rows written for the engine to read, numbered within the process. */
let bulkFiles = 0;
const BULK_FILE = /^bulk-\d+-\d+\.rowbinary$/;

export interface EmbeddedStoreOptions {
  /** Folder for the ClickHouse data; created if missing. */
  path: string;
  /** Refuse every write for the life of this store (enforced by the engine). */
  readonly?: boolean;
  /** Bounds on every query of this store (time, rows read, memory). */
  limits?: QueryLimits;
}

/**
 * ClickHouse in process (chDB) with its data on local disk. Every call is
 * asynchronous, so the event loop never blocks on a query. One process at a
 * time may hold a data directory.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly location: string;
  private session: Session | null;

  constructor(options: EmbeddedStoreOptions) {
    this.location = resolve(options.path);
    // Every vendor's data is in here: the folder is its owner's alone.
    mkdirSync(this.location, { recursive: true, mode: 0o700 });
    if (!options.readonly) chmodSync(this.location, 0o700);
    const args = ['--output_format_json_quote_64bit_integers=0'];
    if (options.readonly) args.push('--readonly=1');
    if (options.limits) for (const [name, value] of Object.entries(limitSettings(options.limits))) args.push(`--${name}=${value}`);
    try {
      this.session = new (chdb().Session)(this.location, { connectionArgs: args });
    } catch (error) {
      throw explainOpenFailure(this.location, error);
    }
    // One process at a time holds the folder: RowBinary files found now were left by one that died mid-insert.
    if (!options.readonly) for (const name of readdirSync(this.location)) if (BULK_FILE.test(name)) rmSync(join(this.location, name), { force: true });
  }

  private get live(): Session {
    if (!this.session) throw new StoreError('closed', `the embedded store at ${this.location} is closed`);
    return this.session;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async exec(sql: string, params?: Params): Promise<void> {
    try {
      if (params && Object.keys(params).length > 0) await this.live.queryBindAsync(sql, params, { format: 'Null' });
      else await this.live.queryAsync(sql, { format: 'Null' });
    } catch (error) {
      throw classifyStoreError(error, 'statement failed');
    }
  }

  async insert(table: string, rows: readonly Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    await this.insertJsonEachRow(table, toJsonEachRow(rows));
    return rows.length;
  }

  async insertJsonEachRow(table: string, payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    try {
      await this.live.insert({ table: checkIdentifier(table), values: payload, format: 'JSONEachRow' });
    } catch (error) {
      throw classifyStoreError(error, `insert into ${table} failed`);
    }
  }

  async insertTabSeparated(table: string, columns: readonly string[], payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    try {
      await this.live.insert({ table: checkIdentifier(table), values: payload, format: 'TabSeparated', columns: columns.map(checkIdentifier), settings: TAB_SEPARATED_INSERT_SETTINGS });
    } catch (error) {
      throw classifyStoreError(error, `insert into ${table} failed`);
    }
  }

  async insertRowBinary(table: string, columns: readonly string[], structure: string, payload: Buffer | readonly Uint8Array[]): Promise<void> {
    // Several buffers are written one after the other into the file, never copied into one first.
    const parts = Array.isArray(payload) ? (payload as readonly Uint8Array[]) : [payload as Buffer];
    if (parts.every((p) => p.byteLength === 0)) return;
    // The engine reads the rows from a file of its own folder (the in-process insert takes text formats only).
    const file = join(this.location, `bulk-${process.pid}-${++bulkFiles}.rowbinary`);
    const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        // writev takes at most IOV_MAX (1024) buffers a call
        for (let i = 0; i < parts.length; i += 1024) await handle.writev(parts.slice(i, i + 1024));
      } finally {
        await handle.close();
      }
      await this.live.queryAsync(
        `INSERT INTO ${checkIdentifier(table)} (${columns.map(checkIdentifier).join(', ')}) SETTINGS optimize_on_insert = 0 SELECT * FROM file(${quote(file)}, 'RowBinary', ${quote(structure)})`,
        { format: 'Null' },
      );
    } catch (error) {
      throw classifyStoreError(error, `insert into ${table} failed`);
    } finally {
      rmSync(file, { force: true });
    }
  }

  async query<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const text = await this.queryText(sql, 'JSON', params);
    return (JSON.parse(text) as { data: T[] }).data;
  }

  async *stream<T = Row>(sql: string, params?: Params): AsyncIterable<T> {
    let rows: AsyncIterableIterator<T>;
    try {
      rows = this.live.queryStreamBind(sql, params ?? {}, { format: 'JSONEachRow' }).rows<T>();
    } catch (error) {
      throw classifyStoreError(error, 'query failed');
    }
    try {
      yield* rows;
    } catch (error) {
      throw classifyStoreError(error, 'query failed');
    }
  }

  async queryText(sql: string, format: string, params?: Params): Promise<string> {
    try {
      const result =
        params && Object.keys(params).length > 0
          ? await this.live.queryBindAsync(sql, params, { format })
          : await this.live.queryAsync(sql, { format });
      return result.text();
    } catch (error) {
      throw classifyStoreError(error, 'query failed');
    }
  }

  async close(): Promise<void> {
    if (!this.session) return;
    const session = this.session;
    this.session = null;
    session.close();
    await chdb().drainPending();
  }
}

function explainOpenFailure(path: string, error: unknown): StoreError {
  const detail = String((error as Error)?.message ?? error);
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return new StoreError('failed', `cannot open the embedded ClickHouse data directory ${path}: it is not writable`, undefined, { cause: error });
  }
  if (existsSync(`${path}/status`)) {
    const pid = /PID: (\d+)/.exec(readFileSafe(`${path}/status`))?.[1];
    return new StoreError(
      'locked',
      `the embedded ClickHouse data directory ${path} is in use by another process${pid ? ` (pid ${pid})` : ''} ` +
        `(only one process may open it at a time): stop the other aifi process, or set AIFI_DATA_DIR to another folder`,
      76,
      { cause: error },
    );
  }
  return new StoreError('failed', `cannot open the embedded ClickHouse data directory ${path}: ${detail}`, undefined, { cause: error });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
