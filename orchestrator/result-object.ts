import type { NaturalDataset } from 'dcmjs';
import { PRODUCTS, type ProductId } from '../events/index.ts';
import type { InferenceResult } from '../vendors/index.ts';
import type { InstanceHeader } from './dicom-header.ts';
import { newUid, writeDicom } from './dicom-writer.ts';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';

const code = (value: string, scheme: string, meaning: string) => [{ CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning }];

const text = (concept: ReturnType<typeof code>, value: string) => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'TEXT',
  ConceptNameCodeSequence: concept,
  TextValue: value,
});

const num = (concept: ReturnType<typeof code>, value: number, units: ReturnType<typeof code>) => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'NUM',
  ConceptNameCodeSequence: concept,
  MeasuredValueSequence: [{ NumericValue: String(Number(value.toFixed(4))), MeasurementUnitsCodeSequence: units }],
});

/** The date and time now as DICOM DA and TM. */
function dicomNow(): { date: string; time: string } {
  const iso = new Date().toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

/**
 * The AI result as a DICOM Comprehensive SR in the same study as the images,
 * addressed to the same patient, in a series of its own: product, vendor,
 * model version, finding and score, or the bone age in years.
 */
export function resultStructuredReport(
  header: InstanceHeader,
  product: ProductId,
  result: InferenceResult,
): { sopInstanceUid: string; file: Buffer; dataset: NaturalDataset } {
  const info = PRODUCTS[product];
  const now = dicomNow();
  const sopInstanceUid = newUid();
  const content: Record<string, unknown>[] = [
    text(code('111001', 'DCM', 'Algorithm Name'), info.name),
    text(code('111003', 'DCM', 'Algorithm Version'), result.model_version),
    text(code('111002', 'DCM', 'Algorithm Parameters'), `vendor ${info.vendor}; task ${info.task}`),
  ];
  if (result.finding !== 'none') content.push(text(code('121071', 'DCM', 'Finding'), result.finding));
  if (result.score !== null) content.push(num(code('AIFI001', '99AIFI', 'AI score'), result.score, code('1', 'UCUM', 'no units')));
  if (result.value !== null) content.push(num(code('AIFI002', '99AIFI', 'Bone age'), result.value, code('a', 'UCUM', 'year')));
  const dataset: NaturalDataset = {
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: sopInstanceUid,
    StudyInstanceUID: header.studyInstanceUid,
    SeriesInstanceUID: newUid(),
    Modality: 'SR',
    SeriesNumber: '9901',
    InstanceNumber: '1',
    SeriesDescription: `AI result: ${info.name}`,
    PatientName: header.patientName,
    PatientID: header.patientId,
    PatientBirthDate: header.birthDate,
    PatientSex: header.sex,
    StudyDate: header.studyDate,
    StudyTime: header.studyTime,
    AccessionNumber: header.accessionNumber,
    ReferringPhysicianName: header.referringPhysician,
    StudyID: header.studyId,
    ContentDate: now.date,
    ContentTime: now.time,
    Manufacturer: 'AIFI Observe',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: code('18748-4', 'LN', 'Diagnostic imaging report'),
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: content,
    ReferencedPerformedProcedureStepSequence: [],
    PerformedProcedureCodeSequence: [],
  };
  return { sopInstanceUid, file: writeDicom(dataset), dataset };
}
