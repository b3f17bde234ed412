/**
 * What the receivers accept at association negotiation: every standard storage
 * SOP class and every standard transfer syntax. Only headers are read, and the
 * header of an encapsulated (compressed) object is ordinary explicit little
 * endian, so nothing here decodes pixels.
 */

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** Standard transfer syntaxes (PS3.6 table A-1), by name. */
export const TRANSFER_SYNTAXES: Record<string, string> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: 'Implicit VR Little Endian',
  [EXPLICIT_VR_LITTLE_ENDIAN]: 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.98': 'Encapsulated Uncompressed Explicit VR Little Endian',
  [DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN]: 'Deflated Explicit VR Little Endian',
  [EXPLICIT_VR_BIG_ENDIAN]: 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 2D',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 3D',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K Lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.4.204': 'JPIP HTJ2K Referenced',
  '1.2.840.10008.1.2.4.205': 'JPIP HTJ2K Referenced Deflate',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.6.1': 'RFC 2557 MIME Encapsulation',
  '1.2.840.10008.1.2.6.2': 'XML Encoding',
  '1.2.840.10008.1.2.7.1': 'SMPTE ST 2110-20',
  '1.2.840.10008.1.2.7.2': 'SMPTE ST 2110-30',
  '1.2.840.10008.1.2.7.3': 'SMPTE ST 2110-40',
};

/** Transfer syntaxes whose data set a header reader can walk (all but the MIME and XML encodings). */
const NOT_DATASETS = new Set(['1.2.840.10008.1.2.6.1', '1.2.840.10008.1.2.6.2']);

/** The syntax accepted for a presentation context: our preference among those offered, else the first standard one offered. */
export function acceptedTransferSyntax(offered: string[]): string | undefined {
  for (const preferred of [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]) if (offered.includes(preferred)) return preferred;
  return offered.find((ts) => ts in TRANSFER_SYNTAXES && !NOT_DATASETS.has(ts));
}

/** Storage SOP classes outside the 1.2.840.10008.5.1.4.1.1 branch (PS3.4 annex B). */
const OTHER_STORAGE = new Set([
  '1.2.840.10008.5.1.4.34.7', // RT Beams Delivery Instruction
  '1.2.840.10008.5.1.4.34.10', // RT Brachy Application Setup Delivery Instruction
  '1.2.840.10008.5.1.4.38.1', // Hanging Protocol
  '1.2.840.10008.5.1.4.39.1', // Color Palette
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group
]);

/** A standard storage SOP class: every one in PS3.4 annex B is under 1.2.840.10008.5.1.4.1.1, bar a few. */
export function isStorageSopClass(uid: string): boolean {
  return /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.\d+(\.\d+)*$/.test(uid) || OTHER_STORAGE.has(uid);
}

/** Image storage SOP classes a product could read (what a Key Object Selection may point at as IMAGE). */
const NON_IMAGE_PREFIXES = ['1.2.840.10008.5.1.4.1.1.9.', '1.2.840.10008.5.1.4.1.1.88.', '1.2.840.10008.5.1.4.1.1.481.', '1.2.840.10008.5.1.4.1.1.104.', '1.2.840.10008.5.1.4.1.1.11.', '1.2.840.10008.5.1.4.1.1.66'];

export function isImageSopClass(uid: string): boolean {
  return isStorageSopClass(uid) && !NON_IMAGE_PREFIXES.some((p) => uid.startsWith(p)) && !OTHER_STORAGE.has(uid);
}
