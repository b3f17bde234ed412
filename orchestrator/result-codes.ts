import type { ProductId } from '../events/index.ts';

/** A coded concept: (value, scheme, meaning). */
export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

const code = (value: string, scheme: string, meaning: string): Code => ({ value, scheme, meaning });

export const DCM = {
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  language: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUid: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  algorithmParameters: code('111002', 'DCM', 'Algorithm Parameters'),
  ofInterest: code('113000', 'DCM', 'Of Interest'),
  keyObjectDescription: code('113012', 'DCM', 'Key Object Description'),
} as const;

export const ENGLISH = code('en', 'RFC5646', 'English');
export const PRESENT = code('52101004', 'SCT', 'Present');
export const ABSENT = code('2667000', 'SCT', 'Absent');
export const UCUM_YEAR = code('a', 'UCUM', 'year');
export const UCUM_UNITY = code('1', 'UCUM', 'no units');
/** LOINC's observation of a bone age read from an X-ray (used by HL7's bone age profile). */
export const BONE_AGE = code('37362-1', 'LN', 'XR Bone age');
/**
 * The score a product gives its finding. No standard code names "the AI
 * model's score" (IHE AIR leaves it to the product), so it stays in the
 * platform's private scheme.
 */
export const AI_SCORE = code('AIFI001', '99AIFI', 'AI model score');

/** SNOMED CT findings of the products that detect one; others are named in the private scheme by their task. */
const FINDINGS: Partial<Record<ProductId, Code>> = {
  rbfracture: code('125605004', 'SCT', 'Fracture of bone'),
  'cina-ipe': code('59282003', 'SCT', 'Pulmonary embolism'),
  'cina-ich': code('1386000', 'SCT', 'Intracranial hemorrhage'),
  'chestview-ptx': code('36118008', 'SCT', 'Pneumothorax'),
  'ribfx-ct': code('33737001', 'SCT', 'Fracture of rib'),
  rbknee: code('239873007', 'SCT', 'Osteoarthritis of knee'),
  'mammo-detect': code('254837009', 'SCT', 'Malignant tumor of breast'),
  'prostate-mr': code('399068003', 'SCT', 'Malignant tumor of prostate'),
};

export function findingCode(product: ProductId, task: string): Code {
  return FINDINGS[product] ?? code(`AIFI-${product}`.slice(0, 16), '99AIFI', task.slice(0, 64));
}

/** The procedure reported (SNOMED CT), by modality. */
export function procedureCode(modality: string): Code {
  if (modality === 'CT') return code('77477000', 'SCT', 'Computerized axial tomography');
  if (modality === 'MR') return code('113091000', 'SCT', 'Magnetic resonance imaging');
  if (modality === 'MG') return code('71651007', 'SCT', 'Mammography');
  return code('363680008', 'SCT', 'Radiographic imaging procedure');
}

/** A code as the items of a DICOM code sequence. */
export function codeSequence(c: Code): Record<string, string>[] {
  return [{ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning }];
}
