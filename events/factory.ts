import { SCHEMA_VERSION, type EventOf, type EventType } from './schemas.ts';
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
  const at = fields.occurred_at ?? new Date();
  const atDate = typeof at === 'string' ? new Date(at) : at;
  const event = {
    ...fields,
    event_id: fields.event_id ?? uuidv7(Number.isNaN(atDate.getTime()) ? Date.now() : atDate.getTime()),
    schema_version: SCHEMA_VERSION,
    type,
    occurred_at: typeof at === 'string' ? at : isoTime(at),
  };
  return parseEvent(event) as EventOf<T>;
}
