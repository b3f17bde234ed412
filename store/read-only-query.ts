import { StoreError, type Store } from './store.ts';

/** Bounds on one read-only query, enforced by the engine. */
export interface QueryLimits {
  /** Seconds a query may run (ClickHouse `max_execution_time`). */
  maxSeconds: number;
  /** Rows a query may read (ClickHouse `max_rows_to_read`). */
  maxRowsRead: number;
  /** Bytes of memory a query may use (ClickHouse `max_memory_usage`). */
  maxMemoryBytes: number;
}

/** The limits as ClickHouse settings, for either adapter. */
export function limitSettings(limits: QueryLimits): Record<string, number> {
  return { max_execution_time: limits.maxSeconds, max_rows_to_read: limits.maxRowsRead, max_memory_usage: limits.maxMemoryBytes };
}

const OUTFILE_CLAUSE = /(^|\n)\s*INTO\s+OUTFILE\b/;

/**
 * Refuses a statement that would write output to a file (`INTO OUTFILE`, with
 * or without TRUNCATE, APPEND or AND STDOUT). The engine's read-only mode does
 * not cover it: the file is written by the client side of the engine. The
 * statement is first put in ClickHouse's own canonical form (`formatQuery`),
 * where the clause starts a line and no string or comment can hide or imitate
 * it; an engine without `formatQuery` gets the cruder check of the word
 * OUTFILE anywhere.
 */
export async function checkReadOnlyStatement(store: Store, sql: string): Promise<void> {
  let canonical: string;
  try {
    const [row] = await store.query<{ q: string }>('SELECT formatQuery({sql:String}) AS q', { sql });
    canonical = row!.q;
  } catch (error) {
    if (error instanceof StoreError && error.kind === 'syntax') throw error;
    if (/\bOUTFILE\b/i.test(sql)) throw refusal();
    return;
  }
  if (OUTFILE_CLAUSE.test(canonical)) throw refusal();
}

const SETTINGS_CLAUSE = /(^|\n)\s*SETTINGS\b/;
const QUERY_START = /^\s*(SELECT|WITH|\()/;

/**
 * Runs one read-only query in a store that also takes writes (the running
 * process's own): the statement is put in ClickHouse's canonical form, which
 * proves it is one whole statement, and run as a subquery with \`readonly = 1\`
 * and the limits as settings of the outer query. Only a SELECT (or WITH …
 * SELECT) can be a subquery; a SETTINGS clause of its own is refused, since an
 * inner setting would override the outer ones (a store opened read-only
 * refuses it too: no setting may change there). Output to files is refused as
 * in \`checkReadOnlyStatement\`.
 */
export async function readOnlyQueryText(store: Store, sql: string, format: string, params: Record<string, string>, limits: QueryLimits): Promise<string> {
  const [row] = await store.query<{ q: string }>('SELECT formatQuery({sql:String}) AS q', { sql });
  const canonical = row!.q;
  if (OUTFILE_CLAUSE.test(canonical)) throw refusal();
  if (!QUERY_START.test(canonical)) throw new StoreError('readonly', 'only a SELECT (or WITH … SELECT) query is served by the running aifi process');
  if (SETTINGS_CLAUSE.test(canonical)) throw new StoreError('readonly', 'a read-only query may not carry SETTINGS (its bounds are AIFI_QUERY_MAX_*)');
  const settings = Object.entries({ readonly: 1, ...limitSettings(limits) }).map(([k, v]) => `${k} = ${v}`).join(', ');
  return store.queryText(`SELECT * FROM (\n${canonical}\n) SETTINGS ${settings}`, format, params);
}

const refusal = () => new StoreError('readonly', 'a read-only query may not write to a file (INTO OUTFILE is refused)');
