import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { DicomInputError, MAX_COMMENT, part10Prefix, readInstanceHeader, REFUSAL } from './dicom-header.ts';
import { syntheticStudy } from './synthetic-dicom.ts';
import { NAMES, withName } from '../testing/index.ts';

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
