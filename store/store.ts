/** A row as it goes into or comes out of ClickHouse (JSONEachRow). */
export type Row = Record<string, unknown>;

/** Values bound to `{name:Type}` placeholders: never interpolated into SQL. */
export type Params = Record<string, unknown>;

/**
 * The one door to ClickHouse. Two adapters implement it (embedded chDB, a
 * ClickHouse server over HTTP); the same SQL runs on both.
 */
export interface Store {
  readonly kind: 'embedded' | 'server';
  /** Where the data lives, for logs and errors (a folder or a URL; never a password). */
  readonly location: string;
  /** The ClickHouse cluster this store reads through Distributed tables, if any (`aifi migrate --cluster`). */
  readonly cluster?: string;
  ping(): Promise<void>;
  /** Runs a statement that returns nothing (DDL, INSERT … SELECT, OPTIMIZE). */
  exec(sql: string, params?: Params): Promise<void>;
  /** Inserts rows as JSONEachRow in one statement; resolves with the row count once they are stored. */
  insert(table: string, rows: readonly Row[]): Promise<number>;
  /** Inserts an already serialised JSONEachRow payload (one object per line). */
  insertJsonEachRow(table: string, payload: Buffer): Promise<void>;
  /**
   * Inserts a large TabSeparated payload of `columns` (see `tabSeparatedLine`):
   * \N takes the column's default, as a missing key or null does in
   * JSONEachRow (for a Nullable column with a default other than NULL, \N
   * stays NULL: give such a column its value). For bulk loads: the engine
   * parses it about twice as fast as JSONEachRow, and parts are merged later
   * rather than on insert.
   */
  insertTabSeparated(table: string, columns: readonly string[], payload: Buffer): Promise<void>;
  /**
   * Inserts rows of `columns` in RowBinary (see `rowBinaryWriter`), `structure`
   * naming their types: for bulk loads, about three times cheaper for the engine
   * than TabSeparated. Only where the engine reads the payload in process (the
   * embedded store); a bulk load falls back to TabSeparated elsewhere. The
   * payload is one buffer or several, whose bytes follow one another.
   */
  insertRowBinary?(table: string, columns: readonly string[], structure: string, payload: Buffer | readonly Uint8Array[]): Promise<void>;
  /** Runs a query with bound parameters and returns its rows. */
  query<T = Row>(sql: string, params?: Params): Promise<T[]>;
  /** Streams the rows of a query, for results too large to hold at once. */
  stream<T = Row>(sql: string, params?: Params): AsyncIterable<T>;
  /** Runs a query and returns its output in a ClickHouse format (PrettyCompact, CSV, JSON, …). */
  queryText(sql: string, format: string, params?: Params): Promise<string>;
  close(): Promise<void>;
}

export type StoreErrorKind =
  | 'locked'
  | 'unavailable'
  | 'timeout'
  | 'overloaded'
  | 'readonly'
  | 'syntax'
  | 'unknown-object'
  | 'bad-data'
  | 'closed'
  | 'failed';

const RETRYABLE: ReadonlySet<StoreErrorKind> = new Set(['unavailable', 'timeout', 'overloaded']);

/** A ClickHouse failure, classified so that callers retry only what can succeed later. */
export class StoreError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    readonly clickhouseCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
    this.retryable = RETRYABLE.has(kind);
  }
}

const CODE_KINDS: Record<number, StoreErrorKind> = {
  62: 'syntax',
  47: 'unknown-object',
  46: 'unknown-object',
  60: 'unknown-object',
  81: 'unknown-object',
  16: 'unknown-object',
  164: 'readonly',
  159: 'timeout',
  209: 'timeout',
  210: 'unavailable',
  252: 'overloaded',
  202: 'overloaded',
  241: 'overloaded',
  27: 'bad-data',
  26: 'bad-data',
  38: 'bad-data',
  41: 'bad-data',
  53: 'bad-data',
  69: 'bad-data',
  72: 'bad-data',
  117: 'bad-data',
  376: 'bad-data',
  6: 'bad-data',
  76: 'locked',
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Maps whatever a driver threw to a StoreError; `context` says what was being done. */
export function classifyStoreError(error: unknown, context: string): StoreError {
  if (error instanceof StoreError) return error;
  const e = error as { message?: string; code?: unknown; clickhouseCode?: unknown; name?: string };
  const message = String(e?.message ?? error);
  const chCode =
    typeof e?.clickhouseCode === 'number'
      ? e.clickhouseCode
      : /^\d+$/.test(String(e?.code ?? ''))
        ? Number(e.code)
        : Number(/Code: (\d+)[.,]/.exec(message)?.[1] ?? NaN);
  let kind: StoreErrorKind = 'failed';
  // The same code as "too many parts", but the rows themselves are at fault: the same block never fits.
  if (/Too many partitions for single INSERT block/i.test(message)) kind = 'bad-data';
  else if (Number.isFinite(chCode) && CODE_KINDS[chCode]) kind = CODE_KINDS[chCode]!;
  else if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) kind = 'unavailable';
  else if (typeof e?.code === 'string' && e.code === 'ETIMEDOUT') kind = 'timeout';
  else if (/timeout|timed out/i.test(message)) kind = 'timeout';
  else if (/ECONNREFUSED|socket hang up|ECONNRESET/.test(message)) kind = 'unavailable';
  const first = message.split('\n')[0]!.slice(0, 500);
  return new StoreError(kind, `${context}: ${first}`, Number.isFinite(chCode) ? chCode : undefined, { cause: error });
}

/** Serialises rows as a JSONEachRow payload. */
export function toJsonEachRow(rows: readonly Row[]): Buffer {
  let text = '';
  for (const row of rows) text += JSON.stringify(row) + '\n';
  return Buffer.from(text, 'utf8');
}

/** Settings of a bulk TabSeparated insert: \N in a column that is not Nullable takes its default; no merge of the new part on insert. */
export const TAB_SEPARATED_INSERT_SETTINGS = { input_format_null_as_default: 1, optimize_on_insert: 0 } as const;

const TSV_SPECIAL = /[\\\t\n\r]/;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One row as a TabSeparated line of `columns` (with its newline): a missing
 * key and null are \N (the column's default, NULL where it is Nullable, as
 * in JSONEachRow), strings are escaped.
 * Throws for a key not among the columns, or a value of another type, so that
 * nothing of a row is dropped or changed without notice.
 */
export function tabSeparatedLine(row: Row, columns: readonly string[]): string {
  let line = '';
  let seen = 0;
  for (let i = 0; i < columns.length; i++) {
    const v = row[columns[i]!];
    if (i > 0) line += '\t';
    if (v === undefined) {
      line += '\\N';
      continue;
    }
    seen++;
    if (v === null) line += '\\N';
    else if (typeof v === 'string') line += TSV_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c]!) : v;
    else if (typeof v === 'number' && Number.isFinite(v)) line += String(v);
    else throw new StoreError('bad-data', `column ${columns[i]}: cannot write ${typeof v} ${JSON.stringify(v)} as TabSeparated`);
  }
  let keys = 0;
  for (const key in row) if (row[key] !== undefined) keys++;
  if (keys !== seen) throw new StoreError('bad-data', `row has fields that are not columns (${Object.keys(row).filter((k) => !columns.includes(k)).join(', ')})`);
  return line + '\n';
}

/** Checks a table name before it is placed in SQL (names cannot be bound). */
export function checkIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) {
    throw new StoreError('syntax', `not a plain table name: ${JSON.stringify(name)}`);
  }
  return name;
}
