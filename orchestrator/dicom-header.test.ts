import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { DicomInputError, MAX_COMMENT, part10Prefix, readInstanceHeader, REFUSAL } from './dicom-header.ts';
import { syntheticStudy } from './synthetic-dicom.ts';

/** Person names from PS3.5 annexes H, I and J, as the bytes a Japanese, Korean or Chinese PACS sends. */
export const NAMES = {
  'ISO 2022 IR 87': {
    // \ISO 2022 IR 87: Yamada^Tarou=山田^太郎=やまだ^たろう (PS3.5 H.3.1)
    charset: '\\ISO 2022 IR 87',
    bytes: '59616d6164615e5461726f753d1b24423b3345441b28425e1b244242404f3a1b28423d1b24422464245e24401b28425e1b2442243f246d24261b2842',
    text: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
  },
  'ISO 2022 IR 13 + IR 87': {
    // ISO 2022 IR 13\ISO 2022 IR 87: ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう (PS3.5 H.3.2)
    charset: 'ISO 2022 IR 13\\ISO 2022 IR 87',
    bytes: 'd4cfc0de5ec0dbb33d1b24423b3345441b284a5e1b244242404f3a1b284a3d1b24422464245e24401b284a5e1b2442243f246d24261b284a',
    text: 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  },
  'ISO 2022 IR 149': {
    // \ISO 2022 IR 149: Hong^Gildong=洪^吉洞=홍^길동 (PS3.5 I.2)
    charset: '\\ISO 2022 IR 149',
    bytes: '486f6e675e47696c646f6e673d1b242943fbf35e1b242943d1ced4d73d1b242943c8ab5e1b242943b1e6b5bf',
    text: 'Hong^Gildong=洪^吉洞=홍^길동',
  },
  'ISO_IR 192': { charset: 'ISO_IR 192', bytes: Buffer.from('Wang^XiaoDong=王^小東', 'utf8').toString('hex'), text: 'Wang^XiaoDong=王^小東' },
  GB18030: { charset: 'GB18030', bytes: '57616e675e5869616f446f6e673dcdf55ed0a1b6ab', text: 'Wang^XiaoDong=王^小东' },
  'ISO_IR 100': { charset: 'ISO_IR 100', bytes: Buffer.from('Bräutigam^Özgür-Üçüncü', 'latin1').toString('hex'), text: 'Bräutigam^Özgür-Üçüncü' },
  'ISO 2022 IR 100': { charset: 'ISO 2022 IR 100', bytes: Buffer.from('van der Ploeg^Anaïs', 'latin1').toString('hex'), text: 'van der Ploeg^Anaïs' },
  'ISO_IR 144': { charset: 'ISO_IR 144', bytes: Buffer.from([...'Иванова^Анна'].map((c) => (c === '^' ? 0x5e : c.charCodeAt(0) - 0x410 + 0xb0))).toString('hex'), text: 'Иванова^Анна' },
} as const;

/** A DX instance whose PatientName is the given bytes under the given SpecificCharacterSet. */
export function withName(name: { charset: string; bytes: string }, options: { patientId?: string } = {}): Buffer {
  const bytes = Buffer.from(name.bytes, 'hex');
  const even = bytes.length % 2 ? Buffer.concat([bytes, Buffer.from(' ')]) : bytes;
  const placeholder = 'Q'.repeat(even.length);
  const file = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '009Y', patientName: placeholder, characterSet: name.charset, ...options }).files[0]!;
  const at = file.indexOf(placeholder);
  if (at < 0) throw new Error('placeholder not written');
  even.copy(file, at);
  return file;
}

describe('reading real-world headers', () => {
  it.each(Object.entries(NAMES))('decodes a %s person name', (_label, name) => {
    const header = readInstanceHeader(withName(name));
    expect(header.patientName).toBe(name.text);
    expect(header.modality).toBe('DX');
  });

  it('reads a header whose SpecificCharacterSet is corrupt as Latin-1, without quoting it', () => {
    const file = withName({ charset: 'ISO_IR 1\u00ff0', bytes: Buffer.from('Jansen^Piet', 'latin1').toString('hex') });
    expect(readInstanceHeader(file).patientName).toBe('Jansen^Piet');
  });

  it('reads deflated, big endian and implicit data sets as well as explicit little endian', () => {
    const file = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y' }).files[0]!;
    const meta = file.indexOf(Buffer.from('1.2.840.10008.1.2.1\0', 'latin1'));
    const metaEnd = file.indexOf(Buffer.from([0x08, 0x00]), meta + 20);
    const body = file.subarray(metaEnd);
    const deflated = Buffer.concat([part10Prefix('1.2.840.10008.5.1.4.1.1.1.1', 'x', '1.2.840.10008.1.2.1.99'), deflateRawSync(body)]);
    expect(readInstanceHeader(deflated).bodyPart).toBe('WRIST');
  });

  it('names the true reason, within 64 characters, for what it refuses', () => {
    const file = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '009Y', rows: 128, columns: 128 }).files[0]!;
    const reasons = new Set<string>();
    for (let cut = 0; cut < file.length; cut += 97) {
      try {
        readInstanceHeader(file.subarray(0, cut));
        throw new Error(`a file cut at ${cut} of ${file.length} bytes was accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(DicomInputError);
        const message = (error as Error).message;
        expect(message.length).toBeLessThanOrEqual(MAX_COMMENT);
        expect(message).not.toMatch(/Test|Patient|PID0001|ACC0001|2\.25\./);
        reasons.add(message.replace(/\d+ of \d+/g, 'N of M'));
      }
    }
    expect([...reasons].sort()).toEqual([
      'file meta information has no TransferSyntaxUID (0002,0010)',
      'missing StudyInstanceUID (0020,000D)',
      'not a DICOM Part 10 file (no DICM prefix at byte 128)',
      'truncated: PixelData has N of M bytes',
      'truncated: the file ends inside a header element',
      'truncated: the file meta information is cut short',
    ]);
    for (const reason of reasons) expect(reason).not.toMatch(/view|buffer|undefined|Cannot read/i);
  });

  it('refuses missing UIDs with the status a C-STORE receiver uses too', () => {
    const file = syntheticStudy({ modality: 'DX', bodyPart: 'HAND' }).files[0]!;
    const uid = file.indexOf(Buffer.from('20000d00', 'hex'));
    expect(uid).toBeGreaterThan(0);
    const broken = Buffer.from(file);
    broken.writeUInt16LE(0x000c, uid + 2); // (0020,000D) becomes (0020,000C): no StudyInstanceUID
    try {
      readInstanceHeader(broken);
      throw new Error('accepted');
    } catch (error) {
      expect((error as DicomInputError).message).toBe('missing StudyInstanceUID (0020,000D)');
      expect((error as DicomInputError).status).toBe(REFUSAL.doesNotMatchSopClass);
    }
  });
});
