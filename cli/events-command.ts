import { EVENT_TYPES, eventsJsonSchema, exampleEvent, type EventType } from '../events/index.ts';
import { UsageError } from './cli-error.ts';

export const eventsHelp = `aifi events schema            print the JSON Schema of every event type
aifi events example <type>    print a valid example event (types: ${EVENT_TYPES.join(', ')})`;

export function eventsCommand(args: string[], out: (text: string) => void): void {
  const [what, type] = args;
  if (what === 'schema') {
    out(JSON.stringify(eventsJsonSchema(), null, 2));
    return;
  }
  if (what === 'example') {
    if (!type || !(EVENT_TYPES as string[]).includes(type)) {
      throw new UsageError(`events example needs an event type, one of: ${EVENT_TYPES.join(', ')}`);
    }
    out(JSON.stringify(exampleEvent(type as EventType), null, 2));
    return;
  }
  throw new UsageError(`events needs 'schema' or 'example <type>'`);
}
