import dcmjs, { type NaturalDataset } from 'dcmjs';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** The header fields the orchestrator reads. Identifying ones never leave it un-hashed. */
export interface InstanceHeader {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  bodyPart: string;
  patientId: string;
  /** Kept only to address the result object to the same patient in the PACS; never emitted. */
  patientName: string;
  referringPhysician: string;
  studyId: string;
  /** What the model reads of the images (see vendors/protocol.ts); never emitted. */
  imageComments: string;
  accessionNumber: string;
  patientAge: string;
  birthDate: string;
  sex: string;
  studyDate: string;
  studyTime: string;
  acquisitionDateTime: string;
  acquisitionDate: string;
  acquisitionTime: string;
  timezoneOffset: string;
  manufacturer: string;
  deviceModel: string;
  contrastAgent: string;
  priority: string;
  requestingService: string;
  /** Study, series and requested procedure descriptions, upper-cased: read by routing rules, never emitted. */
  descriptions: string;
}

/** An instance that cannot be accepted, with the reason a sender can act on. */
export class DicomInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomInputError';
  }
}

const PIXEL_DATA = '7FE00010';

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.length ? text(value[0]) : '';
  if (typeof value === 'object' && value !== null && 'Alphabetic' in value) return String((value as { Alphabetic: unknown }).Alphabetic ?? '');
  return String(value).trim();
}

/**
 * Reads the header of a DICOM Part 10 object, stopping before the pixel data.
 * Throws DicomInputError for what is not DICOM, is cut short, or lacks the UIDs
 * an instance needs.
 */
export function readInstanceHeader(file: Buffer): InstanceHeader {
  if (file.length < 132 || file.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomInputError('not a DICOM Part 10 object (no DICM prefix at byte 128)');
  }
  // Parse only the bytes before the pixel data: the header is small, the pixels are not.
  const pixelData = findPixelData(file);
  let dataset: NaturalDataset;
  let transferSyntax: string;
  try {
    ({ dataset, transferSyntax } = parseHeader(file, pixelData ? pixelData.at : file.length));
  } catch {
    try {
      ({ dataset, transferSyntax } = parseHeader(file, file.length));
    } catch (error) {
      throw new DicomInputError(`unreadable DICOM header (truncated or corrupt): ${(error as Error).message}`);
    }
  }
  if (pixelData) checkPixelDataComplete(file, pixelData, transferSyntax);
  return headerFromDataset(dataset);
}

/** The header fields of an already parsed (naturalized) dataset, as a C-STORE delivers it. */
export function headerFromDataset(dataset: NaturalDataset): InstanceHeader {
  const header: InstanceHeader = {
    sopClassUid: text(dataset.SOPClassUID),
    sopInstanceUid: text(dataset.SOPInstanceUID),
    studyInstanceUid: text(dataset.StudyInstanceUID),
    seriesInstanceUid: text(dataset.SeriesInstanceUID),
    modality: text(dataset.Modality).toUpperCase(),
    bodyPart: text(dataset.BodyPartExamined).toUpperCase(),
    patientId: text(dataset.PatientID),
    patientName: text(dataset.PatientName),
    referringPhysician: text(dataset.ReferringPhysicianName),
    studyId: text(dataset.StudyID),
    imageComments: text(dataset.ImageComments),
    accessionNumber: text(dataset.AccessionNumber),
    patientAge: text(dataset.PatientAge),
    birthDate: text(dataset.PatientBirthDate),
    sex: text(dataset.PatientSex).toUpperCase(),
    studyDate: text(dataset.StudyDate),
    studyTime: text(dataset.StudyTime),
    acquisitionDateTime: text(dataset.AcquisitionDateTime),
    acquisitionDate: text(dataset.AcquisitionDate),
    acquisitionTime: text(dataset.AcquisitionTime),
    timezoneOffset: text(dataset.TimezoneOffsetFromUTC),
    manufacturer: text(dataset.Manufacturer),
    deviceModel: text(dataset.ManufacturerModelName),
    contrastAgent: text(dataset.ContrastBolusAgent),
    priority: text(dataset.RequestedProcedurePriority).toUpperCase(),
    requestingService: text(dataset.RequestingService).toUpperCase(),
    descriptions: [dataset.StudyDescription, dataset.SeriesDescription, dataset.RequestedProcedureDescription, dataset.ProtocolName]
      .map(text)
      .filter(Boolean)
      .join(' | ')
      .toUpperCase(),
  };
  for (const [field, name] of [
    ['sopInstanceUid', 'SOPInstanceUID (0008,0018)'],
    ['studyInstanceUid', 'StudyInstanceUID (0020,000D)'],
    ['sopClassUid', 'SOPClassUID (0008,0016)'],
  ] as const) {
    if (!header[field]) throw new DicomInputError(`missing ${name}`);
  }
  return header;
}

function parseHeader(file: Buffer, end: number): { dataset: NaturalDataset; transferSyntax: string } {
  const bytes = new Uint8Array(end);
  bytes.set(file.subarray(0, end));
  const dict = DicomMessage.readFile(bytes.buffer, { untilTag: PIXEL_DATA, includeUntilTagValue: false });
  return {
    dataset: DicomMetaDictionary.naturalizeDataset(dict.dict),
    transferSyntax: text(DicomMetaDictionary.naturalizeDataset(dict.meta).TransferSyntaxUID),
  };
}

const PIXEL_TAG = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);
const PIXEL_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'UN']);

/** Where the top-level PixelData element starts: the first (7FE0,0010) followed by a pixel VR, or any when implicit. */
function findPixelData(file: Buffer): { at: number; explicit: boolean } | null {
  for (let at = file.indexOf(PIXEL_TAG, 132); at >= 0; at = file.indexOf(PIXEL_TAG, at + 1)) {
    if (PIXEL_VRS.has(file.toString('latin1', at + 4, at + 6))) return { at, explicit: true };
    if (at + 8 <= file.length) return { at, explicit: false };
  }
  return null;
}

/** The header stops before PixelData: check that the pixel data the header announces is all there. */
function checkPixelDataComplete(file: Buffer, pixelData: { at: number; explicit: boolean }, transferSyntax: string): void {
  const explicit = pixelData.explicit && transferSyntax !== '1.2.840.10008.1.2';
  const { at } = pixelData;
  const headerLength = explicit ? 12 : 8;
  if (at + headerLength > file.length) throw new DicomInputError('truncated: the file ends inside the PixelData element');
  const length = file.readUInt32LE(at + headerLength - 4);
  const valueStart = at + headerLength;
  if (length === 0xffffffff) {
    const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0]);
    if (file.lastIndexOf(delimiter) < valueStart) throw new DicomInputError('truncated: encapsulated pixel data has no sequence delimiter');
    return;
  }
  if (valueStart + length > file.length) {
    throw new DicomInputError(`truncated: PixelData announces ${length} bytes but only ${file.length - valueStart} are present`);
  }
}
