import dcmjs, { type NaturalDataset } from 'dcmjs';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_CLASS_UID = '2.25.186423591173920143425713098651839201783';

/** Writes a naturalized dataset as a DICOM Part 10 file (Explicit VR Little Endian). */
export function writeDicom(dataset: NaturalDataset): Buffer {
  const sopClass = dataset.SOPClassUID as string | undefined;
  const sopInstance = dataset.SOPInstanceUID as string | undefined;
  if (!sopClass || !sopInstance) throw new Error('a DICOM object needs SOPClassUID and SOPInstanceUID');
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'AIFI_OBSERVE',
    _vrMap: { FileMetaInformationVersion: 'OB' },
  } as NaturalDataset);
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

/** A fresh DICOM UID under the 2.25 (UUID-derived) root. */
export function newUid(): string {
  return DicomMetaDictionary.uid();
}
