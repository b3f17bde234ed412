import { inflateRawSync } from 'node:zlib';
import dcmjs, { type NaturalDataset } from 'dcmjs';
import { decodeDicomText, latin1Bytes } from './dicom-charset.ts';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, TRANSFER_SYNTAXES } from './dicom-uids.ts';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;
// dcmjs logs warnings to the console; the orchestrator logs structured lines only.
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

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

/** DICOM failure statuses (PS3.4 annex GG, PS3.18): the same on STOW-RS and C-STORE. */
export const REFUSAL = { cannotUnderstand: 0xc000, doesNotMatchSopClass: 0xa900, outOfResources: 0xa700 } as const;

/** The comment when the intake holds as many open studies as it may (a PACS retries on 0xA700). */
export const INTAKE_FULL = 'too many studies in progress; retry later';

/** Longest failure comment: (0000,0902) Error Comment is LO, 64 characters. */
export const MAX_COMMENT = 64;

/**
 * An instance that cannot be accepted, with the reason a PACS administrator can
 * act on (never an element value, at most 64 characters) and its DICOM status.
 */
export class DicomInputError extends Error {
  constructor(
    message: string,
    readonly status: number = REFUSAL.cannotUnderstand,
  ) {
    super(message.length > MAX_COMMENT ? `${message.slice(0, MAX_COMMENT - 1)}…` : message);
    this.name = 'DicomInputError';
  }
}

const PIXEL_DATA = '7FE00010';

function text(value: unknown, charsets: string[]): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.length ? text(value[0], charsets) : '';
  if (typeof value === 'object' && value !== null && 'Alphabetic' in value) return text((value as { Alphabetic: unknown }).Alphabetic ?? '', charsets);
  const raw = String(value).trim();
  return /[\x80-\uffff\x1b]/.test(raw) ? decodeDicomText(latin1Bytes(raw), charsets).trim() : raw;
}

/** A person name with all its component groups (alphabetic=ideographic=phonetic), decoded. */
function personName(value: unknown, charsets: string[]): string {
  const first = Array.isArray(value) ? value[0] : value;
  if (first && typeof first === 'object') {
    const pn = first as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
    return [pn.Alphabetic, pn.Ideographic, pn.Phonetic].map((g) => text(g ?? '', charsets)).join('=').replace(/=+$/, '');
  }
  return text(first, charsets);
}

/**
 * Reads the header of a DICOM Part 10 object, stopping before the pixel data,
 * in any transfer syntax (the header of an encapsulated object is explicit
 * little endian; big endian and deflated are read too) and any character set.
 * Throws DicomInputError for what is not DICOM, is cut short, or lacks the UIDs
 * an instance needs.
 */
export function readInstanceHeader(file: Buffer): InstanceHeader {
  try {
    return readHeader(file);
  } catch (error) {
    if (error instanceof DicomInputError) throw error;
    // Whatever else a malformed file makes the reader throw, the sender gets a reason, not an internal error.
    throw new DicomInputError(parserReason(error));
  }
}

function readHeader(file: Buffer): InstanceHeader {
  if (file.length < 132 || file.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomInputError('not a DICOM Part 10 file (no DICM prefix at byte 128)');
  }
  const meta = readFileMeta(file);
  let body = file.subarray(meta.end);
  let transferSyntax = meta.transferSyntax;
  if (transferSyntax === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
    try {
      body = inflateRawSync(body, { maxOutputLength: MAX_INFLATED });
    } catch {
      throw new DicomInputError('deflated data set is corrupt or cut short');
    }
    transferSyntax = EXPLICIT_VR_LITTLE_ENDIAN;
  }
  const syntax = syntaxOf(transferSyntax);
  const charsetAt = findCharacterSet(body, syntax);
  const charsets = charsetAt ? body.toString('latin1', charsetAt.start, charsetAt.end).split('\\').map((c) => c.trim()) : [];
  const pixelData = findPixelData(body, syntax);
  const headerEnd = pixelData ? pixelData.at : body.length;
  // dcmjs decodes one character set; it reads the header as Latin-1 and the text fields are decoded again here.
  const prefix = part10Prefix(meta.sopClassUid, meta.sopInstanceUid, transferSyntax);
  const parseable = Buffer.concat([prefix, body.subarray(0, headerEnd)]);
  if (charsetAt) parseable.fill(0x20, prefix.length + charsetAt.start, prefix.length + charsetAt.end);
  let dataset: NaturalDataset;
  try {
    dataset = parseHeader(parseable);
  } catch (error) {
    throw new DicomInputError(parserReason(error));
  }
  if (pixelData) checkPixelDataComplete(body, pixelData, syntax);
  else if (dataset.Rows !== undefined && dataset.Columns !== undefined) throw new DicomInputError('truncated: the image has no PixelData');
  return headerFromDataset(dataset, charsets);
}

const MAX_INFLATED = 2 ** 30;

/** What dcmjs says when the input ends early, as opposed to a structure it cannot read. */
function parserReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/past end|more than currently allocated|out of bounds|offset|beyond|RangeError/i.test(message) || error instanceof RangeError) {
    return 'truncated: the file ends inside a header element';
  }
  return 'corrupt header: an element cannot be read';
}

interface Syntax {
  littleEndian: boolean;
  explicit: boolean;
}

function syntaxOf(uid: string): Syntax {
  if (uid === IMPLICIT_VR_LITTLE_ENDIAN) return { littleEndian: true, explicit: false };
  if (uid === EXPLICIT_VR_BIG_ENDIAN) return { littleEndian: false, explicit: true };
  return { littleEndian: true, explicit: true };
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** The file meta information (group 0002, always explicit VR little endian). */
function readFileMeta(file: Buffer): { transferSyntax: string; sopClassUid: string; sopInstanceUid: string; end: number; bytes: Buffer } {
  const values: Record<string, string> = {};
  let at = 132;
  while (at + 8 <= file.length && file.readUInt16LE(at) === 0x0002) {
    const element = file.readUInt16LE(at + 2);
    const vr = file.toString('latin1', at + 4, at + 6);
    let length: number;
    let start: number;
    if (LONG_VRS.has(vr)) {
      if (at + 12 > file.length) break;
      length = file.readUInt32LE(at + 8);
      start = at + 12;
    } else {
      length = file.readUInt16LE(at + 6);
      start = at + 8;
    }
    if (length === 0xffffffff || start + length > file.length) throw new DicomInputError('truncated: the file meta information is cut short');
    if (vr === 'UI') values[element.toString(16)] = file.toString('latin1', start, start + length).replace(/[\0 ]+$/, '');
    at = start + length;
  }
  const transferSyntax = values['10'];
  if (!transferSyntax) throw new DicomInputError('file meta information has no TransferSyntaxUID (0002,0010)');
  if (!(transferSyntax in TRANSFER_SYNTAXES)) throw new DicomInputError('transfer syntax is not a standard one (0002,0010)');
  return { transferSyntax, sopClassUid: values['2'] ?? '', sopInstanceUid: values['3'] ?? '', end: at, bytes: file.subarray(0, at) };
}

/** Preamble, DICM and a minimal file meta group: what turns a data set (as a C-STORE carries it) into a Part 10 file. */
export function part10Prefix(sopClassUid: string, sopInstanceUid: string, transferSyntax: string): Buffer {
  const element = (tag: number, vr: string, value: Buffer) => {
    const padded = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : value;
    const head = Buffer.alloc(LONG_VRS.has(vr) ? 12 : 8);
    head.writeUInt16LE(0x0002, 0);
    head.writeUInt16LE(tag, 2);
    head.write(vr, 4, 'latin1');
    if (LONG_VRS.has(vr)) head.writeUInt32LE(padded.length, 8);
    else head.writeUInt16LE(padded.length, 6);
    return Buffer.concat([head, padded]);
  };
  const elements = Buffer.concat([
    element(0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 'UI', Buffer.from(sopClassUid, 'latin1')),
    element(0x0003, 'UI', Buffer.from(sopInstanceUid, 'latin1')),
    element(0x0010, 'UI', Buffer.from(transferSyntax, 'latin1')),
    element(0x0012, 'UI', Buffer.from('2.25.186423591173920143425713098651839201783', 'latin1')),
  ]);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(elements.length, 8);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, elements]);
}

/** Where the value of SpecificCharacterSet (0008,0005) lies in a data set, if it is among its first elements. */
function findCharacterSet(body: Buffer, syntax: Syntax): { start: number; end: number } | null {
  const u16 = (at: number) => (syntax.littleEndian ? body.readUInt16LE(at) : body.readUInt16BE(at));
  const u32 = (at: number) => (syntax.littleEndian ? body.readUInt32LE(at) : body.readUInt32BE(at));
  let at = 0;
  for (let n = 0; n < 64 && at + 8 <= body.length; n++) {
    const group = u16(at);
    const element = u16(at + 2);
    if (group > 0x0008 || (group === 0x0008 && element > 0x0005)) return null;
    let length: number;
    let start: number;
    const vr = body.toString('latin1', at + 4, at + 6);
    if (syntax.explicit && /^[A-Z]{2}$/.test(vr)) {
      if (LONG_VRS.has(vr)) {
        if (at + 12 > body.length) return null;
        length = u32(at + 8);
        start = at + 12;
      } else {
        length = u16(at + 6);
        start = at + 8;
      }
    } else {
      length = u32(at + 4);
      start = at + 8;
    }
    if (length === 0xffffffff || start + length > body.length) return null;
    if (group === 0x0008 && element === 0x0005) return { start, end: start + length };
    at = start + length;
  }
  return null;
}

/** The header fields of an already parsed (naturalized) dataset, as a C-STORE delivers it. */
export function headerFromDataset(dataset: NaturalDataset, charsets: string[] = []): InstanceHeader {
  const t = (value: unknown) => text(value, charsets);
  const header: InstanceHeader = {
    sopClassUid: t(dataset.SOPClassUID),
    sopInstanceUid: t(dataset.SOPInstanceUID),
    studyInstanceUid: t(dataset.StudyInstanceUID),
    seriesInstanceUid: t(dataset.SeriesInstanceUID),
    modality: t(dataset.Modality).toUpperCase(),
    bodyPart: t(dataset.BodyPartExamined).toUpperCase(),
    patientId: t(dataset.PatientID),
    patientName: personName(dataset.PatientName, charsets),
    referringPhysician: personName(dataset.ReferringPhysicianName, charsets),
    studyId: t(dataset.StudyID),
    imageComments: t(dataset.ImageComments),
    accessionNumber: t(dataset.AccessionNumber),
    patientAge: t(dataset.PatientAge),
    birthDate: t(dataset.PatientBirthDate),
    sex: t(dataset.PatientSex).toUpperCase(),
    studyDate: t(dataset.StudyDate),
    studyTime: t(dataset.StudyTime),
    acquisitionDateTime: t(dataset.AcquisitionDateTime),
    acquisitionDate: t(dataset.AcquisitionDate),
    acquisitionTime: t(dataset.AcquisitionTime),
    timezoneOffset: t(dataset.TimezoneOffsetFromUTC),
    manufacturer: t(dataset.Manufacturer),
    deviceModel: t(dataset.ManufacturerModelName),
    contrastAgent: t(dataset.ContrastBolusAgent),
    priority: t(dataset.RequestedProcedurePriority).toUpperCase(),
    requestingService: t(dataset.RequestingService).toUpperCase(),
    descriptions: [dataset.StudyDescription, dataset.SeriesDescription, dataset.RequestedProcedureDescription, dataset.ProtocolName]
      .map(t)
      .filter(Boolean)
      .join(' | ')
      .toUpperCase(),
  };
  for (const [field, name] of [
    ['sopInstanceUid', 'SOPInstanceUID (0008,0018)'],
    ['studyInstanceUid', 'StudyInstanceUID (0020,000D)'],
    ['sopClassUid', 'SOPClassUID (0008,0016)'],
  ] as const) {
    if (!header[field]) throw new DicomInputError(`missing ${name}`, REFUSAL.doesNotMatchSopClass);
  }
  return header;
}

function parseHeader(file: Buffer): NaturalDataset {
  const bytes = new Uint8Array(file.length);
  bytes.set(file);
  const dict = DicomMessage.readFile(bytes.buffer, { untilTag: PIXEL_DATA, includeUntilTagValue: false });
  return DicomMetaDictionary.naturalizeDataset(dict.dict);
}

const PIXEL_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);

/** Where the top-level PixelData element starts: the first (7FE0,0010) followed by a pixel VR, or any when implicit. */
function findPixelData(body: Buffer, syntax: Syntax): { at: number; explicit: boolean } | null {
  const tag = Buffer.from(syntax.littleEndian ? [0xe0, 0x7f, 0x10, 0x00] : [0x7f, 0xe0, 0x00, 0x10]);
  for (let at = body.indexOf(tag); at >= 0; at = body.indexOf(tag, at + 1)) {
    if (syntax.explicit && PIXEL_VRS.has(body.toString('latin1', at + 4, at + 6))) return { at, explicit: true };
    if (!syntax.explicit && at + 8 <= body.length) return { at, explicit: false };
  }
  return null;
}

/** The header stops before PixelData: check that the pixel data the header announces is all there. */
function checkPixelDataComplete(body: Buffer, pixelData: { at: number; explicit: boolean }, syntax: Syntax): void {
  const { at } = pixelData;
  const headerLength = pixelData.explicit ? 12 : 8;
  if (at + headerLength > body.length) throw new DicomInputError('truncated: the file ends inside the PixelData element');
  const length = syntax.littleEndian ? body.readUInt32LE(at + headerLength - 4) : body.readUInt32BE(at + headerLength - 4);
  const valueStart = at + headerLength;
  if (length === 0xffffffff) {
    const delimiter = Buffer.from(syntax.littleEndian ? [0xfe, 0xff, 0xdd, 0xe0] : [0xff, 0xfe, 0xe0, 0xdd]);
    if (body.lastIndexOf(delimiter) < valueStart) throw new DicomInputError('truncated: compressed pixel data has no end delimiter');
    return;
  }
  if (valueStart + length > body.length) {
    throw new DicomInputError(`truncated: PixelData has ${body.length - valueStart} of ${length} bytes`);
  }
}
