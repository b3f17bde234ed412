import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkEvent,
  EVENT_TYPES,
  eventsJsonSchema,
  exampleEvent,
  InvalidEventError,
  isoTime,
  makeEvent,
  makeTrustedEvent,
  parseEvent,
  uuidv7For,
  type EventType,
} from './index.ts';

/** A field every event of the type must carry, and one that is a number/enum/timestamp, per type. */
const probes: Record<EventType, { required: string; enumField: string; numberField?: string; timeField: string }> = {
  'study.received': { required: 'modality', enumField: 'urgency', numberField: 'age_years', timeField: 'acquired_at' },
  'study.routed': { required: 'rule', enumField: 'outcome', numberField: 'routing_ms', timeField: 'occurred_at' },
  'inference.requested': { required: 'attempt', enumField: 'product', numberField: 'attempt', timeField: 'occurred_at' },
  'inference.completed': { required: 'model_version', enumField: 'finding', numberField: 'score', timeField: 'occurred_at' },
  'inference.failed': { required: 'error_class', enumField: 'error_class', numberField: 'attempt', timeField: 'occurred_at' },
  'result.delivered': { required: 'acknowledged', enumField: 'channel', numberField: 'delivery_ms', timeField: 'occurred_at' },
  'result.viewed': { required: 'user_key', enumField: 'role', timeField: 'occurred_at' },
  'verdict.recorded': { required: 'agreement', enumField: 'product', numberField: 'value', timeField: 'occurred_at' },
  'gateway.heartbeat': { required: 'component', enumField: 'status', timeField: 'occurred_at' },
  'report.signed': { required: 'accession_key', enumField: 'status', timeField: 'occurred_at' },
};

function rejectedPaths(input: unknown): string[] {
  const check = checkEvent(input);
  expect(check.ok).toBe(false);
  return check.ok ? [] : check.issues.map((i) => i.path);
}

describe.each(EVENT_TYPES)('%s', (type) => {
  const probe = probes[type];
  const example = () => exampleEvent(type) as unknown as Record<string, unknown>;

  it('has a valid example', () => {
    const event = example();
    expect(checkEvent(event)).toEqual({ ok: true, event });
    expect(event.type).toBe(type);
    expect(event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects a missing field, naming it', () => {
    const event = example();
    delete event[probe.required];
    expect(rejectedPaths(event)).toContain(probe.required);
    delete event.hospital;
    expect(rejectedPaths(event)).toContain('hospital');
  });

  it('rejects a wrong type, naming the field', () => {
    expect(rejectedPaths({ ...example(), hospital: 42 })).toEqual(['hospital']);
    expect(rejectedPaths({ ...example(), [probe.required]: { nested: true } })).toContain(probe.required);
  });

  it('rejects an unknown field, naming it', () => {
    const check = checkEvent({ ...example(), patient_name: 'Jansen^Piet' });
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.issues[0]!.path).toBe('patient_name');
      expect(check.issues[0]!.message).toContain('unknown field');
    }
  });

  it('rejects a bad timestamp, naming the field', () => {
    for (const bad of ['2026-03-02', '2026-03-02T08:15:04Z', '2026-03-02T08:15:04.250+01:00', 'yesterday', '2026-13-02T08:15:04.250Z']) {
      expect(rejectedPaths({ ...example(), [probe.timeField]: bad })).toEqual([probe.timeField]);
    }
  });

  it('rejects a value outside its enum, naming the field', () => {
    expect(rejectedPaths({ ...example(), [probe.enumField]: 'something-else' })).toContain(probe.enumField);
  });

  const numberField = probe.numberField;
  if (numberField) {
    it('rejects a number outside its range, naming the field', () => {
      expect(rejectedPaths({ ...example(), [numberField]: -5000 })).toContain(numberField);
      expect(rejectedPaths({ ...example(), [numberField]: 'seven' })).toContain(numberField);
    });
  }

  it('rejects an event_id that is not a UUIDv7, and a wrong schema version', () => {
    expect(rejectedPaths({ ...example(), event_id: 'b5b8a8a2-1f0e-4c1a-9f3e-0e8f6c1d2a3b' })).toEqual(['event_id']);
    expect(rejectedPaths({ ...example(), schema_version: 3 })).toEqual(['schema_version']);
    expect(rejectedPaths({ ...example(), schema_version: '2' })).toEqual(['schema_version']);
  });
});

describe('schema version 2', () => {
  it('writes version 2 and still accepts a version-1 event that uses nothing version 2 added', () => {
    const received = exampleEvent('study.received') as unknown as Record<string, unknown>;
    expect(received.schema_version).toBe(2);
    const { accession_key: _a, ...v1 } = received;
    expect(checkEvent({ ...v1, schema_version: 1 }).ok).toBe(true);
    expect(rejectedPaths({ ...received, schema_version: 1 })).toEqual(['accession_key']);
    for (const type of EVENT_TYPES.filter((t) => t !== 'study.received' && t !== 'report.signed')) {
      expect(checkEvent({ ...exampleEvent(type), schema_version: 1 }).ok, type).toBe(true);
    }
    expect(rejectedPaths({ ...exampleEvent('report.signed'), schema_version: 1 })).toEqual(['schema_version']);
  });

  it('keeps a report to times, status, pseudonyms and a coded finding', () => {
    const report = exampleEvent('report.signed') as unknown as Record<string, unknown>;
    expect(rejectedPaths({ ...report, accession_key: 'ACC0001' })).toEqual(['accession_key']);
    expect(rejectedPaths({ ...report, text: 'Geen fractuur.' })).toEqual(['text']);
    expect(rejectedPaths({ ...report, status: 'cancelled' })).toEqual(['status']);
    expect(rejectedPaths({ ...report, finding: 'positive' })).toEqual(['finding_concept']);
    expect(checkEvent({ ...report, finding: 'positive', finding_concept: 'fracture' }).ok).toBe(true);
    expect(rejectedPaths({ ...report, finding: 'positive', finding_concept: 'gout' })).toEqual(['finding_concept']);
  });
});

describe('the contract as a whole', () => {
  it('rejects an unknown type and non-objects with a clear message', () => {
    for (const bad of [null, 42, 'x', [], { type: 'study.deleted' }, {}]) {
      const check = checkEvent(bad);
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.issues[0]!.message).toMatch(/must be one of study\.received|must be a JSON object/);
    }
  });

  it('refuses identifiers that are not pseudonyms', () => {
    const event = exampleEvent('study.received') as unknown as Record<string, unknown>;
    expect(rejectedPaths({ ...event, patient_key: '1234567' })).toEqual(['patient_key']);
    expect(rejectedPaths({ ...event, study_key: '1.2.840.113619.2.55.3.1234' })).toEqual(['study_key']);
  });

  it('asks a verdict for a label on binary products and a value on continuous ones', () => {
    const base = exampleEvent('verdict.recorded') as unknown as Record<string, unknown>;
    expect(checkEvent({ ...base, product: 'rbfracture' }).ok).toBe(false);
    const { value: _value, ...withoutValue } = base;
    expect(checkEvent({ ...withoutValue, product: 'rbfracture', label: 'positive' }).ok).toBe(true);
    expect(rejectedPaths({ ...base, label: 'positive' })).toEqual(['label']);
  });

  it('makes events with the factory, and refuses to make an invalid one', () => {
    const event = makeEvent('gateway.heartbeat', { hospital: 'gelre', source: 'gateway', component: 'pacs-gateway', status: 'down' });
    expect(parseEvent(event)).toEqual(event);
    expect(Date.parse(event.occurred_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(() =>
      makeEvent('gateway.heartbeat', { hospital: 'Gelre Ziekenhuizen', source: 'gateway', component: 'pacs-gateway', status: 'down' }),
    ).toThrow(InvalidEventError);
    const a = makeEvent('gateway.heartbeat', { hospital: 'gelre', source: 'gateway', component: 'x', status: 'up' });
    const b = makeEvent('gateway.heartbeat', { hospital: 'gelre', source: 'gateway', component: 'x', status: 'up' });
    expect(a.event_id).not.toBe(b.event_id);
  });

  it('makes the same event without the schema for fields known to be valid, field order included', () => {
    for (const type of EVENT_TYPES) {
      const valid = exampleEvent(type);
      const { type: _type, schema_version: _version, ...fields } = valid as unknown as Record<string, unknown>;
      const trusted = makeTrustedEvent(type, fields as never);
      expect(JSON.stringify(trusted), type).toBe(JSON.stringify(valid));
      expect(JSON.stringify(trusted), type).toBe(JSON.stringify(makeEvent(type, fields as never)));
    }
  });

  it('formats times exactly as Date#toISOString, on consecutive days, across years and at the edges', () => {
    const times = [0, 1, 999, 86_399_999, 86_400_000, Date.UTC(2026, 1, 28, 23, 59, 59, 999), Date.UTC(2028, 1, 29, 12), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), -1, -86_400_001, 1.5];
    let t = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 20_000; i++) times.push((t += 1 + ((i * 7_919_993) % 9_000_000)));
    for (const ms of times) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    expect(isoTime(new Date(Date.UTC(2026, 4, 3, 4, 5, 6, 7)))).toBe('2026-05-03T04:05:06.007Z');
  });

  it('derives the same UUIDv7 from a key and a time as the RFC 9562 construction over the SHA-256 bytes', () => {
    const reference = (key: string, ms: number) => {
      const bytes = createHash('sha256').update(key).digest().subarray(0, 16);
      bytes.writeUIntBE(ms, 0, 6);
      bytes[6] = 0x70 | (bytes[6]! & 0x0f);
      bytes[8] = 0x80 | (bytes[8]! & 0x3f);
      const hex = bytes.toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    };
    for (let i = 0; i < 5_000; i++) {
      const ms = [i, 1_764_600_000_000 + i * 7_919.37, 2 ** 48 - 1 - i][i % 3]!;
      expect(uuidv7For(`key|${i}`, ms)).toBe(reference(`key|${i}`, ms));
    }
    expect(() => uuidv7For('x', -1)).toThrow(/48 bits/);
  });

  it('generates a JSON Schema that names every event type and forbids unknown fields', () => {
    const schema = eventsJsonSchema() as { oneOf: { properties: { type: { const: string } }; additionalProperties: boolean; required: string[] }[] };
    const types = schema.oneOf.map((s) => s.properties.type.const).sort();
    expect(types).toEqual([...EVENT_TYPES].sort());
    for (const variant of schema.oneOf) {
      expect(variant.additionalProperties).toBe(false);
      expect(variant.required).toContain('event_id');
    }
  });
});
