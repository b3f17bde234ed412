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
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, at: '2026-03-02T08:15:04Z' })).toThrow(/column at/);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, id: 'not-a-uuid' })).toThrow(/column id/);
    expect(() => writer.write(new RowBinaryBuffer(), { ...row, id: undefined })).toThrow(/column id: no value/);
    expect(() => rowBinaryWriter(['later'], types).write(new RowBinaryBuffer(), {})).toThrow(/column later: no value, and its default \(now64\(3\)\)/);
    expect(() => rowBinaryWriter(['missing'], types)).toThrow(/no column missing/);
    expect(() => rowBinaryWriter(['x'], [{ name: 'x', type: 'Array(String)', default_expression: '' }])).toThrow(/no encoding for the type Array\(String\)/);
  });
});
