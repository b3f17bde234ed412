import type { NaturalDataset } from 'dcmjs';
import { PRODUCTS, type ProductId, type ResultForm } from '../events/index.ts';
import type { InferenceResult } from '../vendors/index.ts';
import type { InstanceHeader } from './dicom-header.ts';
import { isImageSopClass } from './dicom-uids.ts';
import { newUid, writeDicom } from './dicom-writer.ts';
import {
  ABSENT,
  AI_SCORE,
  BONE_AGE,
  codeSequence,
  DCM,
  ENGLISH,
  findingCode,
  PRESENT,
  procedureCode,
  UCUM_UNITY,
  UCUM_YEAR,
  type Code,
} from './result-codes.ts';
import { secondaryCapturePixels } from './secondary-capture.ts';
import type { StudyInstances } from './study-assembler.ts';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
export const KEY_OBJECT_SELECTION = '1.2.840.10008.5.1.4.1.1.88.59';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

/** The platform as the device that observed (TID 1004): a fixed UID under the implementation's root. */
const DEVICE_OBSERVER_UID = '2.25.186423591173920143425713098651839201783.1';

/** What a result object is made from: the study's first header and the instances the product looked at. */
export interface ResultSource {
  header: InstanceHeader;
  instances: StudyInstances;
}

export interface ResultObject {
  form: ResultForm;
  sopInstanceUid: string;
  dataset: NaturalDataset;
  file: Buffer;
}

type Item = Record<string, unknown>;

const item = (relationship: string, valueType: string, concept: Code, value: Item): Item => ({
  RelationshipType: relationship,
  ValueType: valueType,
  ConceptNameCodeSequence: codeSequence(concept),
  ...value,
});
const text = (relationship: string, concept: Code, value: string) => item(relationship, 'TEXT', concept, { TextValue: value.slice(0, 1024) });
const coded = (relationship: string, concept: Code, value: Code) => item(relationship, 'CODE', concept, { ConceptCodeSequence: codeSequence(value) });
const uidref = (relationship: string, concept: Code, uid: string) => item(relationship, 'UIDREF', concept, { UID: uid });
const num = (concept: Code, value: number, units: Code) =>
  item('CONTAINS', 'NUM', concept, { MeasuredValueSequence: [{ NumericValue: String(Number(value.toFixed(4))), MeasurementUnitsCodeSequence: codeSequence(units) }] });
const container = (relationship: string, concept: Code, content: Item[]) => item(relationship, 'CONTAINER', concept, { ContinuityOfContent: 'SEPARATE', ContentSequence: content });
const image = (sopClassUid: string, sopInstanceUid: string): Item => ({
  RelationshipType: 'CONTAINS',
  ValueType: 'IMAGE',
  ReferencedSOPSequence: [{ ReferencedSOPClassUID: sopClassUid, ReferencedSOPInstanceUID: sopInstanceUid }],
});

/** The date and time now as DICOM DA and TM. */
function dicomNow(): { date: string; time: string } {
  const iso = new Date().toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

/** CurrentRequestedProcedureEvidenceSequence: every instance of the study the product looked at, by series. */
export function evidenceSequence(studyInstanceUid: string, instances: StudyInstances): Item[] {
  const bySeries = new Map<string, Item[]>();
  for (const [sopInstanceUid, i] of instances) {
    const list = bySeries.get(i.seriesInstanceUid) ?? [];
    list.push({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: sopInstanceUid });
    bySeries.set(i.seriesInstanceUid, list);
  }
  return [
    {
      StudyInstanceUID: studyInstanceUid,
      ReferencedSeriesSequence: [...bySeries].map(([SeriesInstanceUID, ReferencedSOPSequence]) => ({ SeriesInstanceUID, ReferencedSOPSequence })),
    },
  ];
}

/** The images among the evidence (what an image library or a key object selection may point at). */
function evidenceImages(instances: StudyInstances): [string, string][] {
  return [...instances].filter(([, i]) => isImageSopClass(i.sopClassUid)).map(([uid, i]) => [i.sopClassUid, uid]);
}

/**
 * SOP, patient, study, series and equipment attributes and the content time: the result goes into the same
 * study, for the same patient, in a series of its own.
 */
function objectHeader(header: InstanceHeader, product: ProductId, sopClassUid: string, modality: string, seriesNumber: string): NaturalDataset {
  const now = dicomNow();
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: sopClassUid,
    SOPInstanceUID: newUid(),
    Modality: modality,
    ContentDate: now.date,
    ContentTime: now.time,
    StudyInstanceUID: header.studyInstanceUid,
    SeriesInstanceUID: newUid(),
    SeriesNumber: seriesNumber,
    InstanceNumber: '1',
    PatientName: header.patientName,
    PatientID: header.patientId,
    PatientBirthDate: header.birthDate,
    PatientSex: header.sex,
    StudyDate: header.studyDate,
    StudyTime: header.studyTime,
    AccessionNumber: header.accessionNumber,
    ReferringPhysicianName: header.referringPhysician,
    StudyID: header.studyId,
    Manufacturer: 'AIFI Observe',
    SeriesDescription: `AI result: ${PRODUCTS[product].name}`.slice(0, 64),
  };
}

/** The device observer context (TID 1002/1004): the AI product as it ran on the platform. */
function observer(product: ProductId): Item[] {
  const info = PRODUCTS[product];
  return [
    coded('HAS OBS CONTEXT', DCM.observerType, DCM.device),
    uidref('HAS OBS CONTEXT', DCM.deviceObserverUid, DEVICE_OBSERVER_UID),
    text('HAS OBS CONTEXT', DCM.deviceObserverName, info.name),
    text('HAS OBS CONTEXT', DCM.deviceObserverManufacturer, info.vendor),
    text('HAS OBS CONTEXT', DCM.deviceObserverModelName, info.name),
  ];
}

/** The product's result in words: what the Secondary Capture shows and the Key Object Selection says. */
export function resultLines(product: ProductId, result: InferenceResult): string[] {
  const info = PRODUCTS[product];
  const lines = [`Product: ${info.name} (${info.vendor})`, `Version: ${result.model_version}`, `Task: ${info.task}`];
  if (result.finding !== 'none') lines.push(`Finding: ${findingCode(product, info.task).meaning} ${result.finding === 'positive' ? 'present' : 'absent'}`);
  if (result.score !== null) lines.push(`Score: ${result.score.toFixed(2)}`);
  if (result.value !== null) lines.push(`Bone age: ${result.value.toFixed(1)} years`);
  return lines;
}

/**
 * The result as an SR following TID 1500 (Measurement Report) as IHE AI
 * Results asks: language, the device observer, the procedure reported, an
 * image library of the source images, and one measurement group carrying the
 * algorithm identification (TID 4019), the coded finding with its presence,
 * the score, and the bone age in UCUM years; evidence in
 * CurrentRequestedProcedureEvidenceSequence.
 */
export function measurementReport(source: ResultSource, product: ProductId, result: InferenceResult): ResultObject {
  const { header, instances } = source;
  const info = PRODUCTS[product];
  const finding = findingCode(product, info.task);
  const group: Item[] = [
    text('CONTAINS', DCM.trackingIdentifier, `${info.name} result`),
    uidref('CONTAINS', DCM.trackingUid, newUid()),
    ...(result.finding !== 'none' ? [coded('HAS CONCEPT MOD', DCM.finding, finding)] : []),
    text('HAS CONCEPT MOD', DCM.algorithmName, info.name),
    text('HAS CONCEPT MOD', DCM.algorithmVersion, result.model_version),
    text('HAS CONCEPT MOD', DCM.algorithmParameters, `vendor ${info.vendor}; task ${info.task}`),
  ];
  if (result.value !== null) group.push(num(BONE_AGE, result.value, UCUM_YEAR));
  if (result.score !== null) group.push(num(AI_SCORE, result.score, UCUM_UNITY));
  if (result.finding !== 'none') group.push(coded('CONTAINS', finding, result.finding === 'positive' ? PRESENT : ABSENT));
  const library = evidenceImages(instances).map(([c, i]) => image(c, i));
  const content: Item[] = [
    coded('HAS CONCEPT MOD', DCM.language, ENGLISH),
    ...observer(product),
    coded('HAS CONCEPT MOD', DCM.procedureReported, procedureCode(header.modality)),
    ...(library.length ? [container('CONTAINS', DCM.imageLibrary, [container('CONTAINS', DCM.imageLibraryGroup, library)])] : []),
    container('CONTAINS', DCM.imagingMeasurements, [container('CONTAINS', DCM.measurementGroup, group)]),
  ];
  const dataset: NaturalDataset = {
    ...objectHeader(header, product, COMPREHENSIVE_SR, 'SR', '9901'),
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: codeSequence(DCM.imagingMeasurementReport),
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: content,
    CurrentRequestedProcedureEvidenceSequence: evidenceSequence(header.studyInstanceUid, instances),
    ReferencedPerformedProcedureStepSequence: [],
    PerformedProcedureCodeSequence: [],
  };
  return { form: 'sr', sopInstanceUid: dataset.SOPInstanceUID as string, file: writeDicom(dataset), dataset };
}

/**
 * A Key Object Selection (TID 2010, "Of Interest") pointing at the images the
 * product flagged: the study's images when the finding is present or a value
 * was measured on them; null when nothing is flagged (a negative finding).
 */
export function keyObjectSelection(source: ResultSource, product: ProductId, result: InferenceResult): ResultObject | null {
  const { header, instances } = source;
  const flagged = result.finding === 'positive' || (result.finding === 'none' && result.value !== null) ? evidenceImages(instances) : [];
  if (flagged.length === 0) return null;
  const dataset: NaturalDataset = {
    ...objectHeader(header, product, KEY_OBJECT_SELECTION, 'KO', '9903'),
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: codeSequence(DCM.ofInterest),
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '2010' }],
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: [
      coded('HAS CONCEPT MOD', DCM.language, ENGLISH),
      ...observer(product),
      text('CONTAINS', DCM.keyObjectDescription, `Flagged by AI (not for diagnosis alone). ${resultLines(product, result).join('; ')}`),
      ...flagged.map(([c, i]) => image(c, i)),
    ],
    CurrentRequestedProcedureEvidenceSequence: evidenceSequence(header.studyInstanceUid, new Map(flagged.map(([, uid]) => [uid, instances.get(uid)!]))),
    ReferencedPerformedProcedureStepSequence: [],
  };
  return { form: 'ko', sopInstanceUid: dataset.SOPInstanceUID as string, file: writeDicom(dataset), dataset };
}

/**
 * A Secondary Capture image of the result, for a PACS that shows no SR: the
 * result in legible burned-in text, marked "AI result, not for diagnosis alone".
 */
export function secondaryCapture(source: ResultSource, product: ProductId, result: InferenceResult): ResultObject {
  const { rows, columns, pixels } = secondaryCapturePixels(['AI result, not for diagnosis alone', '', ...resultLines(product, result)]);
  const dataset: NaturalDataset = {
    ...objectHeader(source.header, product, SECONDARY_CAPTURE, 'OT', '9902'),
    ConversionType: 'WSD',
    Laterality: '',
    ImageType: ['DERIVED', 'SECONDARY'],
    PatientOrientation: '',
    BurnedInAnnotation: 'YES',
    DerivationDescription: `AI result of ${PRODUCTS[product].name}, not for diagnosis alone`,
    ImageComments: 'AI result, not for diagnosis alone',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  return { form: 'sc', sopInstanceUid: dataset.SOPInstanceUID as string, file: writeDicom(dataset), dataset };
}

/** The result in each form a hospital chose for the product, in the order chosen; a form with nothing to say is left out with why. */
export function resultObjects(source: ResultSource, product: ProductId, result: InferenceResult, forms: readonly ResultForm[]): { objects: ResultObject[]; skipped: { form: ResultForm; reason: string }[] } {
  const objects: ResultObject[] = [];
  const skipped: { form: ResultForm; reason: string }[] = [];
  for (const form of forms) {
    if (form === 'sr') objects.push(measurementReport(source, product, result));
    else if (form === 'sc') objects.push(secondaryCapture(source, product, result));
    else {
      const ko = keyObjectSelection(source, product, result);
      if (ko) objects.push(ko);
      else skipped.push({ form, reason: 'no image flagged: the finding is absent' });
    }
  }
  return { objects, skipped };
}
