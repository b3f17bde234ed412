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

const refusal = () => new StoreError('readonly', 'a read-only query may not write to a file (INTO OUTFILE is refused)');
