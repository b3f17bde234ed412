import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { onCluster } from './cluster-schema.ts';
import { limitSettings, type QueryLimits } from './read-only-query.ts';
import { checkIdentifier, classifyStoreError, StoreError, TAB_SEPARATED_INSERT_SETTINGS, type Params, type Row, type Store } from './store.ts';

export interface ServerStoreOptions {
  url: string;
  user: string;
  password: string;
  database: string;
  readonly?: boolean;
  /** Bounds on every query of this store (time, rows read, memory). */
  limits?: QueryLimits;
  /** Per-request timeout in ms (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * The cluster whose schema `aifi migrate --cluster` made: reads and inserts go through its
   * Distributed tables (same names as the embedded ones), a subquery or join over one is computed over
   * the whole cluster (GLOBAL: some analytics join across hospitals), an insert is acknowledged once on its shard, and a TRUNCATE goes to the
   * shares on every node.
   */
  cluster?: string;
}

/** The settings under which the analytics' SQL reads a cluster's Distributed tables. */
export const CLUSTER_SETTINGS = { distributed_product_mode: 'global', distributed_foreground_insert: 1 } as const;

/** A ClickHouse server (or cluster endpoint) over HTTP, through @clickhouse/client. */
export class ServerStore implements Store {
  readonly kind = 'server' as const;
  readonly location: string;
  readonly cluster: string | undefined;
  private client: ClickHouseClient | null;
  private distributed: Promise<Set<string>> | null = null;

  constructor(private readonly options: ServerStoreOptions) {
    const url = new URL(options.url);
    url.username = '';
    url.password = '';
    this.location = `${url.origin}/${options.database}`;
    this.cluster = options.cluster;
    this.client = createClient({
      url: options.url,
      username: options.user,
      password: options.password,
      database: options.database,
      request_timeout: options.requestTimeoutMs ?? 30_000,
      // Failures are classified and surfaced by this adapter; the driver's own logging would say them twice.
      log: { level: ClickHouseLogLevel.OFF },
      // 64-bit integers as JSON numbers, as the embedded adapter returns them.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...(options.cluster ? (CLUSTER_SETTINGS as Record<string, unknown>) : {}), ...(options.readonly ? { readonly: '1' as const } : {}), ...(options.limits ? limitSettings(options.limits) : {}) },
    });
  }

  private get live(): ClickHouseClient {
    if (!this.client) throw new StoreError('closed', `the store at ${this.location} is closed`);
    return this.client;
  }

  async ping(): Promise<void> {
    const result = await this.live.ping();
    if (!result.success) throw classifyStoreError(result.error, `ClickHouse at ${this.location} is not reachable`);
  }

  /** Creates the configured database if it does not exist (through the server's default database). */
  async ensureDatabase(): Promise<void> {
    if (this.options.database === 'default') return;
    const admin = createClient({ url: this.options.url, username: this.options.user, password: this.options.password, log: { level: ClickHouseLogLevel.OFF } });
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${checkIdentifier(this.options.database)}` });
    } catch (error) {
      throw classifyStoreError(error, `creating database ${this.options.database} failed`);
    } finally {
      await admin.close();
    }
  }

  /** The Distributed tables of the database, read once. */
  private distributedTables(): Promise<Set<string>> {
    this.distributed ??= this.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'Distributed'").then(
      (rows) => new Set(rows.map((r) => r.name)),
    );
    return this.distributed;
  }

  async exec(sql: string, params?: Params): Promise<void> {
    if (this.options.cluster && /^\s*TRUNCATE/i.test(sql)) sql = onCluster(sql, this.options.cluster, await this.distributedTables());
    try {
      await this.live.command({ query: sql, ...(params && Object.keys(params).length ? { query_params: params } : {}) });
    } catch (error) {
      throw classifyStoreError(error, 'statement failed');
    }
  }

  async insert(table: string, rows: readonly Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    try {
      await this.live.insert({ table: checkIdentifier(table), values: rows as Row[], format: 'JSONEachRow' });
    } catch (error) {
      throw classifyStoreError(error, `insert into ${table} failed`);
    }
    return rows.length;
  }

  async insertJsonEachRow(table: string, payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    try {
      await this.live.exec({ query: `INSERT INTO ${checkIdentifier(table)} FORMAT JSONEachRow`, values: Readable.from([payload]) });
    } catch (error) {
      throw classifyStoreError(error, `insert into ${table} failed`);
    }
  }

  async insertTabSeparated(table: string, columns: readonly string[], payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    try {
      await this.live.exec({
        query: `INSERT INTO ${checkIdentifier(table)} (${columns.map(checkIdentifier).join(', ')}) FORMAT TabSeparated`,
        values: Readable.from([payload]),
        clickhouse_settings: TAB_SEPARATED_INSERT_SETTINGS,
      });
    } catch (error) {
      throw classifyStoreError(error, `insert into ${table} failed`);
    }
  }

  async query<T = Row>(sql: string, params?: Params): Promise<T[]> {
    try {
      const result = await this.live.query({ query: sql, format: 'JSONEachRow', ...bind(params) });
      return await result.json<T>();
    } catch (error) {
      throw classifyStoreError(error, 'query failed');
    }
  }

  async *stream<T = Row>(sql: string, params?: Params): AsyncIterable<T> {
    try {
      const result = await this.live.query({ query: sql, format: 'JSONEachRow', ...bind(params) });
      for await (const rows of result.stream<T>()) {
        for (const row of rows) yield row.json<T>();
      }
    } catch (error) {
      throw classifyStoreError(error, 'query failed');
    }
  }

  async queryText(sql: string, format: string, params?: Params): Promise<string> {
    try {
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(format)) throw new StoreError('syntax', `not a ClickHouse format name: ${format}`);
      const query = `${sql.trim().replace(/;+$/, '')}\nFORMAT ${format}`;
      const result = await this.live.exec({ query, ...bind(params) });
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      throw classifyStoreError(error, 'query failed');
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close();
  }
}

function bind(params?: Params): { query_params?: Params } {
  return params && Object.keys(params).length > 0 ? { query_params: params } : {};
}
