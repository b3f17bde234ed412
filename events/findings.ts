import type { ProductId } from './products.ts';

/**
 * The findings a RIS may code in a report that an AI product also looks for,
 * with their SNOMED CT concept: what a report's coded finding is compared with.
 * A code of another concept is not kept.
 */
export const FINDING_CONCEPTS = {
  fracture: { snomed: '125605004', display: 'Fracture of bone', products: ['rbfracture', 'spineview-vf', 'ribfx-ct'] },
  'pulmonary-embolism': { snomed: '59282003', display: 'Pulmonary embolism', products: ['cina-ipe'] },
  'intracranial-haemorrhage': { snomed: '1386000', display: 'Intracranial hemorrhage', products: ['cina-ich'] },
  pneumothorax: { snomed: '36118008', display: 'Pneumothorax', products: ['chestview-ptx'] },
} as const satisfies Record<string, { snomed: string; display: string; products: ProductId[] }>;

export type FindingConcept = keyof typeof FINDING_CONCEPTS;
export const FINDING_CONCEPT_IDS = Object.keys(FINDING_CONCEPTS) as [FindingConcept, ...FindingConcept[]];

/** The concept of a SNOMED CT code, or of the concept's own name; undefined for any other. */
export function findingConceptOf(code: string): FindingConcept | undefined {
  const c = code.trim();
  return FINDING_CONCEPT_IDS.find((id) => id === c || FINDING_CONCEPTS[id].snomed === c);
}

/** The concept a product's finding is about, if a report can code it. */
export function findingConceptOfProduct(product: ProductId): FindingConcept | undefined {
  return FINDING_CONCEPT_IDS.find((id) => (FINDING_CONCEPTS[id].products as readonly string[]).includes(product));
}
