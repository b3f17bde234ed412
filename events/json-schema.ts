import { z } from 'zod';
import { ACCEPTED_SCHEMA_VERSIONS, aifiEvent, SCHEMA_VERSION } from './schemas.ts';

/**
 * The contract as JSON Schema (draft 2020-12), for hospitals and vendors who
 * integrate without TypeScript. Generated from the same zod schemas that
 * validate. What JSON Schema cannot say is in the top-level description: a verdict
 * carries exactly one of label or value; a report's finding and finding_concept
 * come together; a field or type added by version 2 (`report.signed`,
 * `accession_key`) needs `schema_version` 2, while the rest of a version-1
 * event stays valid.
 */
export function eventsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(aifiEvent, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
  return {
    $id: `https://aifi.example/schemas/events/v${SCHEMA_VERSION}.json`,
    title: `AIFI Observe events, schema version ${SCHEMA_VERSION} (accepted: ${ACCEPTED_SCHEMA_VERSIONS.join(', ')})`,
    description:
      'A verdict carries exactly one of label (binary products) or value (continuous products). A report\'s finding and finding_concept come together. ' +
      'report.signed and study.received\'s accession_key exist from schema_version 2; any other event written as version 1 is still accepted.',
    ...schema,
  };
}
