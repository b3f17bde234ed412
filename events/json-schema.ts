import { z } from 'zod';
import { aifiEvent, SCHEMA_VERSION } from './schemas.ts';

/**
 * The contract as JSON Schema (draft 2020-12), for hospitals and vendors who
 * integrate without TypeScript. Generated from the same zod schemas that
 * validate; the one rule JSON Schema cannot say (a verdict carries exactly one
 * of label or value) is in the verdict's description.
 */
export function eventsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(aifiEvent, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
  return {
    $id: `https://aifi.example/schemas/events/v${SCHEMA_VERSION}.json`,
    title: `AIFI Observe events, schema version ${SCHEMA_VERSION}`,
    ...schema,
  };
}
