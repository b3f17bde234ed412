import { describe, expect, it } from 'vitest';
import { RowBinaryBuffer, rowBinaryWriter, type ColumnType } from './row-binary.ts';

const types: ColumnType[] = [
  { name: 'id', type: 'UUID', default_expression: '' },
  { name: 'at', type: "DateTime64(3, 'UTC')", default_expression: '' },
  { name: 'kind', type: 'LowCardinality(String)', default_expression: "''" },
  { name: 'n', type: 'UInt16', default_expression: '0' },
  { name: 'score', type: 'Nullable(Float32)', default_expression: '' },
  { name: 'later', type: "DateTime64(3, 'UTC')", default_expression: 'now64(3)' },
];
const columns = ['id', 'at', 'kind', 'n', 'score'];

describe('RowBinary rows', () => {
  it('writes each type as ClickHouse reads it: UUID halves little-endian, times in ms, varint-prefixed strings, null flags, defaults as zero values', () => {
    const out = new RowBinaryBuffer();
    rowBinaryWriter(columns, types).write(out, { id: '00112233-4455-6677-8899-aabbccddeeff', at: '1970-01-01 00:00:01.500', kind: 'é', score: 0.5 });
    rowBinaryWriter(columns, types).write(out, { id: '00112233-4455-6677-8899-aabbccddeeff', at: '1970-01-01 00:00:00.000', n: 513, score: null });
    expect(out.take().toString('hex')).toBe(
      '7766554433221100' + 'ffeeddccbbaa9988' + 'dc05000000000000' + '02c3a9' + '0000' + '00' + '0000003f' +
        '7766554433221100' + 'ffeeddccbbaa9988' + '0000000000000000' + '00' + '0102' + '01',
    );
  });

  it('refuses, naming the column, a value of another type, an unknown key, a malformed time or UUID, and a default it cannot write', () => {
    const writer = rowBinaryWriter(columns, types);
    const row = { id: '00112233-4455-6677-8899-aabbccddeeff', at: '2026-03-02 08:15:04.250', kind: 'x', n: 1, score: 1 };
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, n: 70_000 })).toThrow(/column n: cannot write number 70000 as UInt16/);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, kind: 3 })).toThrow(/column kind/);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, extra: 1 })).toThrow(/extra is not a column/);
    expect(() => writer.write(new RowBinaryBuffer(), { id: row.id, at: row.at, kind: 'x', extra: 1 })).toThrow(/extra is not a column/);
    // a key without a value is no column's and no harm; a refused row leaves nothing behind
    const out = new RowBinaryBuffer();
    writer.write(out, { ...row, extra: undefined });
    const one = out.length;
    expect(() => writer.write(out, { ...row, extra: 1 })).toThrow(/extra/);
    expect(() => writer.write(out, { ...row, n: -1 })).toThrow(/column n/);
    expect(out.length).toBe(one);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, at: '2026-03-02T08:15:04Z' })).toThrow(/column at/);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, id: 'not-a-uuid' })).toThrow(/column id/);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, id: undefined })).toThrow(/column id: no value/);
    expect(() => rowBinaryWriter(['later'], types).write(new RowBinaryBuffer(), {})).toThrow(/column later: no value, and its default \(now64\(3\)\)/);
    expect(() => rowBinaryWriter(['missing'], types)).toThrow(/no column missing/);
    expect(() => rowBinaryWriter(['x'], [{ name: 'x', type: 'Array(String)', default_expression: '' }])).toThrow(/no encoding for the type Array\(String\)/);
  });

  it('reads the times and UUIDs of the rows digit by digit exactly as Date.parse and the hex text give them, over years of times and their edges', () => {
    const writer = rowBinaryWriter(['id', 'at'], types);
    const reference = (id: string, ms: number) => {
      const hex = Buffer.from(id.replaceAll('-', ''), 'hex');
      const time = Buffer.alloc(8);
      time.writeBigInt64LE(BigInt(ms));
      return Buffer.concat([hex.subarray(0, 8).reverse(), hex.subarray(8).reverse(), time]).toString('hex');
    };
    const times: number[] = [0, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999)];
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) times.push(Math.floor(next() * Date.UTC(2040, 0, 1)));
    // many in a row on the same day, as the simulator's rows come
    for (let i = 0; i < 2_000; i++) times.push(Date.UTC(2026, 2, 2) + Math.floor(next() * 86_400_000));
    const written: string[] = [];
    const expected: string[] = [];
    const out = new RowBinaryBuffer();
    for (const ms of times) {
      const id = Array.from({ length: 16 }, () => Math.floor(next() * 256).toString(16).padStart(2, '0')).join('');
      const text = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
      writer.write(out, { id: next() < 0.5 ? text : text.toUpperCase(), at: new Date(ms).toISOString().slice(0, 23).replace('T', ' ') });
      written.push(out.take().toString('hex'));
      expected.push(reference(text, ms));
    }
    expect(written).toEqual(expected);
    // fewer decimals go the regular way; days and times Date.parse refuses are refused
    const at = (text: string) => {
      const out = new RowBinaryBuffer();
      writer.write(out, { id: '00112233-4455-6677-8899-aabbccddeeff', at: text });
      return out.take().readBigInt64LE(16);
    };
    expect(at('2026-03-02 08:15:04.5')).toBe(BigInt(Date.UTC(2026, 2, 2, 8, 15, 4, 500)));
    expect(at('2026-03-02 08:15:04')).toBe(BigInt(Date.UTC(2026, 2, 2, 8, 15, 4)));
    for (const bad of ['2026-13-02 08:15:04.500', '2026-03-32 08:15:04.500', '2026-03-02 25:15:04.500', '2026-03-02 08:60:04.500', '2026-03-02 08:15:4a.500', '2026-03-02 08:15:04.5x0', '2026-0a-02 08:15:04.500'])
      expect(() => at(bad), bad).toThrow(/column at/);
    for (const bad of ['00112233-4455-6677-8899-aabbccddeefg', '00112233-4455-6677-8899_aabbccddeeff', '00112233-4455-6677-8899-aabbccddeeff0', '0011223-34455-6677-8899-aabbccddeeff'])
      expect(() => writer.write(new RowBinaryBuffer(), { id: bad, at: '2026-03-02 08:15:04.500' }), bad).toThrow(/column id/);
  });
});
