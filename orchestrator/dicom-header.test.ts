import { describe, expect, it, vi } from 'vitest';
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

  it('answers every malformed variant with a reason of at most 64 characters, never an internal error (seeded)', () => {
    const seed = 20261201;
    console.info(`malformed variants, seed ${seed}`);
    let state = seed;
    const random = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const sources = [
      syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '009Y', rows: 16, columns: 16 }).files[0]!,
      withName(NAMES['ISO 2022 IR 87']),
      withName(NAMES['ISO 2022 IR 149']),
    ];
    let refused = 0;
    const printed = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
    for (let n = 0; n < 600; n++) {
      const variant = Buffer.from(sources[n % sources.length]!);
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) variant[132 + Math.floor(random() * (variant.length - 132))] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? variant.subarray(0, Math.floor(random() * variant.length)) : variant;
      try {
        readInstanceHeader(cut);
      } catch (error) {
        expect(error, `variant ${n}`).toBeInstanceOf(DicomInputError);
        expect((error as Error).message.length).toBeLessThanOrEqual(MAX_COMMENT);
        expect((error as Error).message).not.toMatch(/Yamada|Hong|Test\^Patient|PID0001|undefined|Cannot read/);
        refused++;
      }
    }
    for (const spy of printed) {
      // Nothing on the console: the parser's own warnings are silenced, the orchestrator logs structured lines.
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
    expect(refused).toBeGreaterThan(50);
  });
});
