import { syntheticStudy } from '../orchestrator/index.ts';

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

