import { StoreError, type Row } from './store.ts';

/**
 * Rows in ClickHouse's RowBinary format, for bulk loads: the engine parses no
 * text, which makes an insert of the `events` table about three times cheaper
 * than TabSeparated (bench/README.md, national-load). The columns are typed
 * from the table itself (`system.columns`), so the encoding follows the schema.
 *
 * A missing key or null is NULL for a Nullable column and, as \N with
 * `input_format_null_as_default` in TabSeparated, the column's default for
 * any other: only defaults that are the type's zero value ('' or 0) can be
 * written so, any other is refused when the writer is made. Throws for a key
 * not among the columns, or a value of another type, so that nothing of a row
 * is dropped or changed without notice.
 */
export interface ColumnType {
  name: string;
  /** The ClickHouse type, as system.columns names it. */
  type: string;
  /** The default expression, '' when there is none. */
  default_expression: string;
}

type Encode = (out: RowBinaryBuffer, value: unknown, column: string) => void;

/** One growing buffer of rows, written in place: no string or array per row. */
export class RowBinaryBuffer {
  private buffer = Buffer.allocUnsafeSlow(8 * 2 ** 20);
  length = 0;

  reserve(bytes: number): void {
    if (this.buffer.length - this.length >= bytes) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  varUInt(value: number): void {
    this.reserve(10);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.length++] = value;
  }

  string(value: string): void {
    const n = value.length;
    if (n < 128) {
      // Short ASCII text (most of a row) byte by byte: Buffer#write costs more than the copy.
      this.reserve(1 + n);
      const buffer = this.buffer;
      let at = this.length + 1;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buffer[at++] = c;
      }
      if (ascii) {
        buffer[this.length] = n;
        this.length = at;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varUInt(bytes);
    this.reserve(bytes);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  uint(value: number, bytes: 1 | 2 | 4): void {
    this.reserve(bytes);
    for (let i = 0; i < bytes; i++) {
      this.buffer[this.length++] = value & 0xff;
      value = Math.floor(value / 256);
    }
  }

  /** A non-negative safe integer as an Int64 (no BigInt per value). */
  int64(value: number): void {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`not a non-negative safe integer: ${value}`);
    this.reserve(8);
    this.buffer.writeUInt32LE(value % 2 ** 32, this.length);
    this.buffer.writeUInt32LE(Math.floor(value / 2 ** 32), this.length + 4);
    this.length += 8;
  }

  float32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeFloatLE(value, this.length);
  }

  float64(value: number): void {
    this.reserve(8);
    this.length = this.buffer.writeDoubleLE(value, this.length);
  }

  /** A UUID as ClickHouse writes it: each 64-bit half little-endian (hex digits decoded in place, no slices). */
  uuid(value: string): void {
    if (value.length !== 36 || value.charCodeAt(8) !== DASH || value.charCodeAt(13) !== DASH || value.charCodeAt(18) !== DASH || value.charCodeAt(23) !== DASH)
      throw new TypeError(`not a UUID: ${JSON.stringify(value)}`);
    this.reserve(16);
    const buffer = this.buffer;
    const at = this.length;
    for (let i = 0; i < 16; i++) {
      const c = UUID_DIGITS[i]!;
      const hi = HEX[value.charCodeAt(c)] ?? 16;
      const lo = HEX[value.charCodeAt(c + 1)] ?? 16;
      if (hi > 15 || lo > 15) throw new TypeError(`not a UUID: ${JSON.stringify(value)}`);
      // byte i of the text goes to the mirror place within its half
      buffer[at + (i < 8 ? 7 - i : 23 - i)] = (hi << 4) | lo;
    }
    this.length += 16;
  }

  /** The bytes written, in a buffer of their own (to be transferred), and the buffer emptied. */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.length);
    this.buffer.copy(out, 0, 0, this.length);
    this.length = 0;
    return out;
  }
}

const DASH = 0x2d;
/** Where each byte's two hex digits start in a UUID's text. */
const UUID_DIGITS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** A char code → its hex digit's value (16 for anything else; undefined past 'f'). */
const HEX = Uint8Array.from({ length: 128 }, (_, c) => {
  const d = '0123456789abcdef'.indexOf(String.fromCharCode(c).toLowerCase());
  return d < 0 || c >= 0x80 ? 16 : d;
});

const UINT: Record<string, 1 | 2 | 4> = { UInt8: 1, UInt16: 2, UInt32: 4 };
const ZERO_DEFAULTS = new Set(['', "''", '0']);

const fail = (column: string, value: unknown, type: string) =>
  new StoreError('bad-data', `column ${column}: cannot write ${typeof value} ${JSON.stringify(value)} as ${type}`);

/** DateTime64(3, 'UTC') from the `YYYY-MM-DD hh:mm:ss.sss` text the rows carry (or ms since the epoch). */
function milliseconds(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return NaN;
  // The rows' own form (`clickhouseTime`), read digit by digit with the day kept from the last call;
  // anything else (fewer decimals, a day Date.parse refuses) by the regular expression and Date.parse.
  if (value.length === 23 && value.charCodeAt(10) === 0x20 && value.charCodeAt(13) === 0x3a && value.charCodeAt(16) === 0x3a && value.charCodeAt(19) === 0x2e) {
    const hour = twoDigits(value, 11);
    const minute = twoDigits(value, 14);
    const second = twoDigits(value, 17);
    const milli = twoDigits(value, 20) * 10 + digit(value, 22);
    if (hour < 24 && minute < 60 && second < 60 && milli < 1000) {
      const day = value.slice(0, 10);
      if (day !== lastDay) {
        lastDayMs = /^\d{4}-\d\d-\d\d$/.test(day) ? Date.parse(`${day}T00:00:00.000Z`) : NaN;
        lastDay = day;
      }
      return lastDayMs + ((hour * 60 + minute) * 60 + second) * 1000 + milli;
    }
  }
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})?$/.test(value)) return NaN;
  return Date.parse(`${value.replace(' ', 'T')}Z`);
}
let lastDay = '';
let lastDayMs = NaN;
/** A decimal digit's value at `at`, or 1000 (out of every range above) for anything else. */
function digit(text: string, at: number): number {
  const d = text.charCodeAt(at) - 0x30;
  return d >= 0 && d <= 9 ? d : 1000;
}
const twoDigits = (text: string, at: number) => digit(text, at) * 10 + digit(text, at + 1);

function encoderOf(type: string): Encode {
  const base = type.replace(/^LowCardinality\((.*)\)$/, '$1');
  if (base === 'String')
    return (out, v, c) => {
      if (typeof v !== 'string') throw fail(c, v, type);
      out.string(v);
    };
  if (base === 'UUID')
    return (out, v, c) => {
      if (typeof v !== 'string') throw fail(c, v, type);
      try {
        out.uuid(v);
      } catch {
        throw fail(c, v, type);
      }
    };
  const uint = UINT[base];
  if (uint)
    return (out, v, c) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** (8 * uint)) throw fail(c, v, type);
      out.uint(v, uint);
    };
  if (base === 'Float32' || base === 'Float64')
    return (out, v, c) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(c, v, type);
      if (base === 'Float32') out.float32(v);
      else out.float64(v);
    };
  if (/^DateTime64\(3, 'UTC'\)$/.test(base))
    return (out, v, c) => {
      const ms = milliseconds(v);
      if (!Number.isInteger(ms) || ms < 0) throw fail(c, v, type);
      out.int64(ms);
    };
  throw new StoreError('bad-data', `RowBinary: no encoding for the type ${type}`);
}

/** The type's zero value, what a missing value of a non-Nullable column takes. */
function zeroOf(type: string): unknown {
  const base = type.replace(/^LowCardinality\((.*)\)$/, '$1');
  if (base === 'String') return '';
  if (UINT[base] || base.startsWith('Float')) return 0;
  return undefined;
}

export interface RowBinaryWriter {
  /** The columns, in order, as the insert names them. */
  columns: readonly string[];
  /** The structure for `file(…, 'RowBinary', structure)` or a typed insert. */
  structure: string;
  write(out: RowBinaryBuffer, row: Row): void;
}

/** A writer of rows with `columns`, typed by the table's `types`. */
export function rowBinaryWriter(columns: readonly string[], types: readonly ColumnType[]): RowBinaryWriter {
  const byName = new Map(types.map((t) => [t.name, t]));
  const encoders = columns.map((name) => {
    const column = byName.get(name);
    if (!column) throw new StoreError('bad-data', `RowBinary: the table has no column ${name}`);
    const nullable = /^Nullable\((.*)\)$/.exec(column.type);
    const inner = nullable ? nullable[1]! : column.type;
    const encode = encoderOf(inner);
    if (nullable)
      return (out: RowBinaryBuffer, v: unknown) => {
        if (v === undefined || v === null) out.byte(1);
        else {
          out.byte(0);
          encode(out, v, name);
        }
      };
    const zero = zeroOf(inner);
    const defaultable = zero !== undefined && ZERO_DEFAULTS.has(column.default_expression);
    return (out: RowBinaryBuffer, v: unknown) => {
      if (v === undefined || v === null) {
        if (!defaultable) throw new StoreError('bad-data', `column ${name}: no value, and its default (${column.default_expression || 'none'}) cannot be written as RowBinary`);
        encode(out, zero, name);
      } else encode(out, v, name);
    };
  });
  const known = new Set(columns);
  return {
    columns,
    structure: columns.map((name) => `${name} ${byName.get(name)!.type}`).join(', '),
    write(out, row) {
      // Every key with a value must be a column: when the row has no more keys than columns with a
      // value, that holds without looking at each key (the rows of a bulk load, millions of them).
      // A row refused leaves nothing of itself in `out`.
      let given = 0;
      const start = out.length;
      try {
        for (let i = 0; i < columns.length; i++) {
          const value = row[columns[i]!];
          if (value !== undefined) given++;
          encoders[i]!(out, value);
        }
        if (Object.keys(row).length !== given)
          for (const key in row) if (row[key] !== undefined && !known.has(key)) throw new StoreError('bad-data', `RowBinary: ${key} is not a column of the insert`);
      } catch (error) {
        out.length = start;
        throw error;
      }
    },
  };
}
