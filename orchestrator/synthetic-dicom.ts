import type { NaturalDataset } from 'dcmjs';
import { newUid, writeDicom } from './dicom-writer.ts';

export const SOP_CLASS = {
  CR: '1.2.840.10008.5.1.4.1.1.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  MG: '1.2.840.10008.5.1.4.1.1.1.2',
  US: '1.2.840.10008.5.1.4.1.1.6.1',
} as const;

/** What a synthetic study looks like; identifying fields are there on purpose, as in a real PACS. */
export interface SyntheticStudy {
  modality: keyof typeof SOP_CLASS | 'RTDOSE' | 'ECG';
  bodyPart: string;
  patientName?: string;
  patientId?: string;
  /** YYYYMMDD */
  birthDate?: string;
  /** DICOM age string such as 009Y; omitted when absent */
  patientAge?: string;
  sex?: 'M' | 'F' | 'O';
  accessionNumber?: string;
  referringPhysician?: string;
  studyDescription?: string;
  /** YYYYMMDD and HHMMSS */
  studyDate?: string;
  studyTime?: string;
  /** TimezoneOffsetFromUTC (e.g. +0000): the zone of the study's dates and times; absent, the hospital's own. */
  timezoneOffset?: string;
  manufacturer?: string;
  deviceModel?: string;
  contrastAgent?: string;
  priority?: 'STAT' | 'HIGH' | 'ROUTINE' | 'MEDIUM' | 'LOW';
  requestingService?: string;
  /** ImageComments: where a simulated image carries its ground truth (see vendors/protocol.ts). */
  imageComments?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  /** Number of instances in the (single) series. */
  instances?: number;
  /** Pixel matrix of each instance (16-bit); default 64 x 64. */
  rows?: number;
  columns?: number;
  /** 8 for byte pixels (what JPEG baseline takes); default 16. */
  bitsAllocated?: 8 | 16;
  /** SpecificCharacterSet (0008,0005), written as given; the names are then patched in as bytes by the caller. */
  characterSet?: string;
  /** SOP class UID instead of the modality's image class (an RT or waveform object). */
  sopClassUid?: string;
}

/** Makes the DICOM Part 10 files of a synthetic study, one buffer per instance. */
export function syntheticStudy(study: SyntheticStudy): { studyInstanceUid: string; sopInstanceUids: string[]; files: Buffer[] } {
  const studyInstanceUid = study.studyInstanceUid ?? newUid();
  const seriesInstanceUid = study.seriesInstanceUid ?? newUid();
  const rows = study.rows ?? 64;
  const columns = study.columns ?? 64;
  const bits = study.bitsAllocated ?? 16;
  const pixels = bits === 8 ? new Uint8Array(rows * columns) : new Uint16Array(rows * columns);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & (bits === 8 ? 0xff : 0x0fff);
  const files: Buffer[] = [];
  const sopInstanceUids: string[] = [];
  const count = study.instances ?? 1;
  for (let n = 1; n <= count; n++) {
    const sopInstanceUid = newUid();
    sopInstanceUids.push(sopInstanceUid);
    const dataset: NaturalDataset = {
      ...(study.characterSet ? { SpecificCharacterSet: study.characterSet } : {}),
      SOPClassUID: study.sopClassUid ?? SOP_CLASS[study.modality as keyof typeof SOP_CLASS],
      SOPInstanceUID: sopInstanceUid,
      StudyInstanceUID: studyInstanceUid,
      SeriesInstanceUID: seriesInstanceUid,
      Modality: study.modality,
      BodyPartExamined: study.bodyPart,
      PatientName: study.patientName ?? 'Test^Patient',
      PatientID: study.patientId ?? 'PID0001',
      PatientBirthDate: study.birthDate ?? '',
      PatientSex: study.sex ?? 'O',
      AccessionNumber: study.accessionNumber ?? 'ACC0001',
      ReferringPhysicianName: study.referringPhysician ?? '',
      StudyDescription: study.studyDescription ?? '',
      StudyDate: study.studyDate ?? '20260302',
      StudyTime: study.studyTime ?? '081500',
      ContentDate: study.studyDate ?? '20260302',
      ContentTime: study.studyTime ?? '081500',
      ...(study.timezoneOffset ? { TimezoneOffsetFromUTC: study.timezoneOffset } : {}),
      StudyID: '1',
      SeriesNumber: '1',
      InstanceNumber: String(n),
      Manufacturer: study.manufacturer ?? 'Synthetic',
      ManufacturerModelName: study.deviceModel ?? 'Model 1',
      ...(study.patientAge ? { PatientAge: study.patientAge } : {}),
      ...(study.contrastAgent ? { ContrastBolusAgent: study.contrastAgent } : {}),
      ...(study.priority ? { RequestedProcedurePriority: study.priority } : {}),
      ...(study.requestingService ? { RequestingService: study.requestingService } : {}),
      ...(study.imageComments ? { ImageComments: study.imageComments } : {}),
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: rows,
      Columns: columns,
      BitsAllocated: bits,
      BitsStored: bits === 8 ? 8 : 12,
      HighBit: bits === 8 ? 7 : 11,
      PixelRepresentation: 0,
      PixelData: [pixels.buffer],
      _vrMap: { PixelData: bits === 8 ? 'OB' : 'OW' },
    };
    files.push(writeDicom(dataset));
  }
  return { studyInstanceUid, sopInstanceUids, files };
}
