import type { z } from 'zod';
import { aifiEvent, EVENT_TYPES, eventSchemas, type AifiEvent, type EventType } from './schemas.ts';

export interface EventIssue {
  /** Dotted path of the offending field, e.g. `score` or `(root)`. */
  path: string;
  message: string;
}

export type EventCheck = { ok: true; event: AifiEvent } | { ok: false; issues: EventIssue[] };

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function fromZod(error: z.ZodError): EventIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { path: formatPath([...issue.path, ...issue.keys.slice(0, 1)]), message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** One line naming every problem: `score: Too big: expected number to be <=1; type: ...`. */
export function describeIssues(issues: readonly EventIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** Validates anything that claims to be an event; never throws. */
export function checkEvent(input: unknown): EventCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: '(root)', message: 'an event must be a JSON object' }] };
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(EVENT_TYPES as string[]).includes(type)) {
    return { ok: false, issues: [{ path: 'type', message: `must be one of ${EVENT_TYPES.join(', ')}` }] };
  }
  const result = eventSchemas[type as EventType].safeParse(input);
  return result.success ? { ok: true, event: result.data as AifiEvent } : { ok: false, issues: fromZod(result.error) };
}

export class InvalidEventError extends Error {
  constructor(readonly issues: EventIssue[]) {
    super(`invalid event: ${describeIssues(issues)}`);
    this.name = 'InvalidEventError';
  }
}

/** Validates and returns the event, or throws an InvalidEventError naming the fields. */
export function parseEvent(input: unknown): AifiEvent {
  const check = checkEvent(input);
  if (!check.ok) throw new InvalidEventError(check.issues);
  return check.event;
}

export { aifiEvent };
