import dcmjs from 'dcmjs';
import Fastify, { type FastifyInstance } from 'fastify';
import { multipartParameters, splitMultipart, stowResponse } from '../orchestrator/index.ts';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** What a reader sees of an AI result in the PACS. */
export interface ReceivedResult {
  hospital: string;
  studyInstanceUid: string;
  algorithm: string;
  finding: string | null;
  value: number | null;
}

type Code = { CodeValue?: string; CodeMeaning?: string };
type Item = {
  ValueType?: string;
  ConceptNameCodeSequence?: Code[] | Code;
  ConceptCodeSequence?: Code[] | Code;
  TextValue?: string;
  MeasuredValueSequence?: { NumericValue?: string | number }[] | { NumericValue?: string | number };
  ContentSequence?: Item[] | Item;
};
const first = <T>(v: T[] | T | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);
/** Every content item of an SR tree, depth first. */
const flatten = (items: Item[] | Item | undefined): Item[] => ([] as Item[]).concat(items ?? []).flatMap((i) => [i, ...flatten(i.ContentSequence)]);

/**
 * Reads an AI result SR (TID 1500, as the orchestrator writes it): the algorithm, the finding's presence
 * (positive when the coded finding is Present, negative when Absent) or the bone age.
 */
export function readResultReport(file: Buffer): Omit<ReceivedResult, 'hospital'> {
  const dict = DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  const ds = DicomMetaDictionary.naturalizeDataset(dict.dict) as { StudyInstanceUID?: string; ContentSequence?: Item[] | Item };
  const items = flatten(ds.ContentSequence);
  const named = (meaning: string) => items.find((i) => first(i.ConceptNameCodeSequence)?.CodeMeaning === meaning);
  const numeric = first(named('XR Bone age')?.MeasuredValueSequence)?.NumericValue;
  const finding = first(named('Finding')?.ConceptCodeSequence)?.CodeValue;
  const presence = finding ? first(items.find((i) => i.ValueType === 'CODE' && first(i.ConceptNameCodeSequence)?.CodeValue === finding)?.ConceptCodeSequence)?.CodeMeaning : undefined;
  return {
    studyInstanceUid: String(ds.StudyInstanceUID ?? ''),
    algorithm: named('Algorithm Name')?.TextValue ?? '',
    finding: presence === 'Present' ? 'positive' : presence === 'Absent' ? 'negative' : null,
    value: numeric === undefined ? null : Number(numeric),
  };
}

/**
 * The hospitals' PACS of the simulated pilot: a STOW-RS receiver per hospital
 * (`/{hospital}/studies`) that acknowledges what the orchestrator delivers and
 * tells the simulator which result reached which study, so that its simulated
 * readers can look at it.
 */
export async function startSimulatedPacs(onResult: (result: ReceivedResult) => void): Promise<{ url: string; app: FastifyInstance; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  app.addContentTypeParser(/^multipart\/related/i, { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_r, body, done) => done(null, body));
  app.post<{ Params: { hospital: string } }>('/:hospital/studies', async (request, reply) => {
    const { boundary } = multipartParameters(String(request.headers['content-type']));
    const referenced = [];
    for (const part of splitMultipart(request.body as Buffer, boundary)) {
      const result = readResultReport(part.body);
      referenced.push({ sopClassUid: '1.2.840.10008.5.1.4.1.1.88.33', sopInstanceUid: '2.25.1' });
      onResult({ hospital: request.params.hospital, ...result });
    }
    return reply.code(200).type('application/dicom+json').send(stowResponse(referenced, []));
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app, close: () => app.close() };
}
