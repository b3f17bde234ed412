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
  const ms = typeof at === 'number' ? at : at.getTime();
  // Date#toISOString for the years 1970 to 9999, with the day's part kept from the last call: a
  // simulator formats millions of times, most of them on the same day as the one before.
  if (!Number.isInteger(ms) || ms < 0 || ms >= MAX_FOUR_DIGIT_YEAR_MS) return new Date(at).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${lastDayPrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
const DAY_MS = 86_400_000;
const MAX_FOUR_DIGIT_YEAR_MS = Date.UTC(10000, 0, 1);
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let lastDay = -1;
let lastDayPrefix = '';

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
  // The envelope's four fields taken as `envelope` makes them, the rest straight from `fields`:
  // one object, no spread of the fields first.
  const given = fields as Record<string, unknown>;
  const at = given.occurred_at as string | Date | undefined;
  const event: Record<string, unknown> = {};
  for (const key of FIELD_ORDER[type]) {
    if (key === 'event_id' || key === 'schema_version' || key === 'type' || key === 'occurred_at') {
      if (typeof at !== 'string' || given.event_id === undefined) return reorder(type, envelope(type, fields)) as EventOf<T>;
      event[key] = key === 'event_id' ? given.event_id : key === 'schema_version' ? SCHEMA_VERSION : key === 'type' ? type : at;
    } else if (key in given) event[key] = given[key];
  }
  return event as EventOf<T>;
}

function reorder(type: EventType, source: Record<string, unknown>): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const key of FIELD_ORDER[type]) if (key in source) event[key] = source[key];
  return event;
}

/** How an event is made: `makeEvent` (validated) or `makeTrustedEvent`. */
export type EventMaker = <T extends EventType>(type: T, fields: EventFields<T>) => EventOf<T>;
