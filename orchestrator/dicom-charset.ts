/**
 * DICOM character sets (PS3.3 C.12.1.1.2, PS3.5 6.1): decodes the bytes of a
 * text value under the instance's SpecificCharacterSet, including ISO 2022
 * code extensions (escape sequences switching G0 and G1 between ASCII, Latin,
 * Cyrillic, Greek, Arabic, Hebrew, Thai, Japanese, Korean and Chinese sets).
 */

type G0 = 'ascii' | 'jis0208' | 'jis0212';
/** A single-byte set for bytes 0xA0-0xFF, or a two-byte set of high bytes. */
type G1 = { encoding: string; bytes: 1 | 2 };

interface Term {
  /** The decoder of a value without code extensions. */
  encoding: string;
  g0?: G0;
  g1?: G1;
}

const latin = (encoding: string): Term => ({ encoding, g1: { encoding, bytes: 1 } });

/** Defined terms, without and with code extensions (the key is the term with ISO_IR / ISO 2022 IR removed). */
const TERMS: Record<string, Term> = {
  '6': { encoding: 'windows-1252' },
  '100': latin('windows-1252'),
  '101': latin('iso-8859-2'),
  '109': latin('iso-8859-3'),
  '110': latin('iso-8859-4'),
  '144': latin('iso-8859-5'),
  '127': latin('iso-8859-6'),
  '126': latin('iso-8859-7'),
  '138': latin('iso-8859-8'),
  '148': latin('windows-1254'),
  '203': latin('iso-8859-15'),
  '166': latin('windows-874'),
  '13': { encoding: 'shift_jis', g1: { encoding: 'shift_jis', bytes: 1 } },
  '87': { encoding: 'euc-jp', g0: 'jis0208' },
  '159': { encoding: 'euc-jp', g0: 'jis0212' },
  '149': { encoding: 'euc-kr', g1: { encoding: 'euc-kr', bytes: 2 } },
  '58': { encoding: 'gbk', g1: { encoding: 'gbk', bytes: 2 } },
  '192': { encoding: 'utf-8' },
  GB18030: { encoding: 'gb18030' },
  GBK: { encoding: 'gbk' },
};

/** Escape sequences (after ESC) and what they designate. */
const ESCAPES: [string, { g0?: G0; g1?: G1 }][] = [
  ['(B', { g0: 'ascii' }],
  ['(J', { g0: 'ascii' }],
  ['$B', { g0: 'jis0208' }],
  ['$@', { g0: 'jis0208' }],
  ['$(D', { g0: 'jis0212' }],
  [')I', { g1: TERMS['13']!.g1 }],
  ['-A', { g1: TERMS['100']!.g1 }],
  ['-B', { g1: TERMS['101']!.g1 }],
  ['-C', { g1: TERMS['109']!.g1 }],
  ['-D', { g1: TERMS['110']!.g1 }],
  ['-L', { g1: TERMS['144']!.g1 }],
  ['-G', { g1: TERMS['127']!.g1 }],
  ['-F', { g1: TERMS['126']!.g1 }],
  ['-H', { g1: TERMS['138']!.g1 }],
  ['-M', { g1: TERMS['148']!.g1 }],
  ['-b', { g1: TERMS['203']!.g1 }],
  ['-T', { g1: TERMS['166']!.g1 }],
  ['$)C', { g1: TERMS['149']!.g1 }],
  ['$)A', { g1: TERMS['58']!.g1 }],
];

const decoders = new Map<string, TextDecoder>();
const decoder = (encoding: string) => {
  let d = decoders.get(encoding);
  if (!d) decoders.set(encoding, (d = new TextDecoder(encoding)));
  return d;
};

function term(value: string): Term | undefined {
  const key = value.trim().toUpperCase().replace(/^ISO 2022 IR /, '').replace(/^ISO_IR /, '').replace(/^ISO 2022 /, '');
  return TERMS[key === '' ? '6' : key];
}

/** A SpecificCharacterSet the decoder knows: every defined term of the standard. */
export function knownCharacterSets(values: string[]): boolean {
  return values.every((v) => term(v) !== undefined);
}

/**
 * Decodes a text value. `charsets` is the SpecificCharacterSet (0008,0005),
 * one entry per value; unknown terms fall back to Latin-1 so that a value is
 * still readable.
 */
export function decodeDicomText(bytes: Uint8Array, charsets: string[]): string {
  const terms = (charsets.length ? charsets : ['']).map((c) => term(c) ?? TERMS['100']!);
  const first = terms[0]!;
  const extended = charsets.length > 1 || charsets.some((c) => /^ISO 2022/i.test(c.trim()));
  if (!extended) return decoder(first.encoding).decode(bytes);
  let g0: G0 = first.g0 ?? 'ascii';
  let g1: G1 | undefined = first.g1;
  let out = '';
  let run: number[] = [];
  let runEncoding = '';
  const push = (encoding: string, ...b: number[]) => {
    if (encoding !== runEncoding) flush();
    runEncoding = encoding;
    run.push(...b);
  };
  const flush = () => {
    if (run.length) out += decoder(runEncoding).decode(new Uint8Array(run));
    run = [];
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x1b) {
      const rest = String.fromCharCode(...bytes.subarray(i + 1, i + 4));
      const hit = ESCAPES.find(([seq]) => rest.startsWith(seq));
      if (hit) {
        if (hit[1].g0) g0 = hit[1].g0;
        if (hit[1].g1) g1 = hit[1].g1;
        i += hit[0].length;
        continue;
      }
      continue;
    }
    if (b < 0x80) {
      if (g0 !== 'ascii' && b > 0x20 && i + 1 < bytes.length && bytes[i + 1]! > 0x20 && bytes[i + 1]! < 0x80) {
        const pair = [b | 0x80, bytes[i + 1]! | 0x80];
        push('euc-jp', ...(g0 === 'jis0212' ? [0x8f, ...pair] : pair));
        i++;
      } else {
        if (b === 0x0a || b === 0x0d || b === 0x0c) g0 = first.g0 ?? 'ascii';
        push('windows-1252', b);
      }
      continue;
    }
    if (g1?.bytes === 2 && i + 1 < bytes.length) {
      push(g1.encoding, b, bytes[i + 1]!);
      i++;
    } else push(g1?.encoding ?? 'windows-1252', b);
  }
  flush();
  return out;
}

const LATIN1_BYTES = (() => {
  const chars = decoder('windows-1252').decode(Uint8Array.from({ length: 256 }, (_, i) => i));
  return new Map([...chars].map((c, i) => [c, i]));
})();

/** The bytes of a string that was decoded as windows-1252 (dcmjs's default), to decode them again under the right character set. */
export function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from([...text], (c) => LATIN1_BYTES.get(c) ?? 0x3f);
}
