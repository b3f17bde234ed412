// dcmjs ships no types: the narrow part of its API this project uses.
declare module 'dcmjs' {
  export type NaturalDataset = Record<string, unknown> & { _vrMap?: Record<string, string> };
  export type DenaturalDataset = Record<string, { vr: string; Value?: unknown[] }>;

  export class DicomDict {
    constructor(meta: DenaturalDataset);
    meta: DenaturalDataset;
    dict: DenaturalDataset;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }

  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
  }

  export const data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dataset: DenaturalDataset): NaturalDataset;
      denaturalizeDataset(dataset: NaturalDataset): DenaturalDataset;
      uid(): string;
    };
    DicomDict: typeof DicomDict;
  };
  interface Logger {
    setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void;
  }
  export const log: Logger & { getLogger(name: string): Logger };
  const dcmjs: { data: typeof data; log: typeof log };
  export default dcmjs;
}
