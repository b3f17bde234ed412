import { EVENT_TYPES, eventSchemas, SCHEMA_VERSION, type EventOf, type EventType } from './schemas.ts';
import { parseEvent } from './validate.ts';
import { uuidv7 } from './uuid.ts';

type Envelope = 'event_id' | 'schema_version' | 'type' | 'occurred_at';

/** What a producer supplies for an event of type T: the payload and routing fields, not the envelope. */
export type EventFields<T extends EventType> = Omit<EventOf<T>, Envelope> & {
  occurred_at?: string | Date;
  event_id?: string;
};

/** Formats a time as the contract wants it: ISO-8601 UTC with milliseconds. */
export function isoTime(at: Date | number): string {
  return new Date(at).toISOString();
}

/**
 * Makes a valid event: a fresh UUIDv7 `event_id`, the schema version, and
 * `occurred_at` (now unless given). Throws InvalidEventError when the fields do
 * not satisfy the contract, so an invalid event is never emitted.
 */
export function makeEvent<T extends EventType>(type: T, fields: EventFields<T>): EventOf<T> {
  return parseEvent(envelope(type, fields)) as EventOf<T>;
}

function envelope<T extends EventType>(type: T, fields: EventFields<T>): Record<string, unknown> {
  const at = fields.occurred_at ?? new Date();
  const atDate = typeof at === 'string' ? new Date(at) : at;
  return {
    ...fields,
    event_id: fields.event_id ?? uuidv7(Number.isNaN(atDate.getTime()) ? Date.now() : atDate.getTime()),
    schema_version: SCHEMA_VERSION,
    type,
    occurred_at: typeof at === 'string' ? at : isoTime(at),
  };
}

/** Each type's fields in the order of its schema: the order a validated event has. */
const FIELD_ORDER = Object.fromEntries(EVENT_TYPES.map((t) => [t, Object.keys(eventSchemas[t].shape)])) as Record<EventType, string[]>;

/**
 * Makes an event the way `makeEvent` does, without running the schema: for a
 * producer that makes millions of events from fields it already knows to be
 * valid (the simulator's bulk load), and proves so in its tests. For valid
 * fields the result is the event `makeEvent` returns, field order included.
 */
export function makeTrustedEvent<T extends EventType>(type: T, fields: EventFields<T>): EventOf<T> {
  const source = envelope(type, fields);
  const event: Record<string, unknown> = {};
  for (const key of FIELD_ORDER[type]) if (key in source) event[key] = source[key];
  return event as EventOf<T>;
}

/** How an event is made: `makeEvent` (validated) or `makeTrustedEvent`. */
export type EventMaker = <T extends EventType>(type: T, fields: EventFields<T>) => EventOf<T>;
