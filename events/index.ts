export { PRODUCTS, PRODUCT_IDS, VENDOR_IDS, productsOfVendor, isBinaryProduct, type ProductId, type VendorId } from './products.ts';
export { FINDING_CONCEPTS, FINDING_CONCEPT_IDS, findingConceptOf, findingConceptOfProduct, type FindingConcept } from './findings.ts';
export {
  SCHEMA_VERSION,
  ACCEPTED_SCHEMA_VERSIONS,
  EVENT_TYPES,
  eventSchemas,
  aifiEvent,
  pseudonym,
  timestamp,
  RESULT_FORMS,
  type ResultForm,
  type AifiEvent,
  type EventOf,
  type EventType,
} from './schemas.ts';
export { checkEvent, parseEvent, describeIssues, InvalidEventError, type EventCheck, type EventIssue } from './validate.ts';
export { makeEvent, makeTrustedEvent, isoTime, type EventFields, type EventMaker } from './factory.ts';
export { exampleEvent } from './examples.ts';
export { eventsJsonSchema } from './json-schema.ts';
export { uuidv7, uuidv7For } from './uuid.ts';
export { SinkError, type EventSink } from './sink.ts';
