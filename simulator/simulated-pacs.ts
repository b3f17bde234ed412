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

type Item = { ConceptNameCodeSequence?: { CodeMeaning?: string }[] | { CodeMeaning?: string }; TextValue?: string; MeasuredValueSequence?: { NumericValue?: string | number }[] | { NumericValue?: string | number } };
const first = <T>(v: T[] | T | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);

/** Reads an AI result SR: the algorithm, the finding or the value. */
export function readResultReport(file: Buffer): Omit<ReceivedResult, 'hospital'> {
  const dict = DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  const ds = DicomMetaDictionary.naturalizeDataset(dict.dict) as { StudyInstanceUID?: string; ContentSequence?: Item[] | Item };
  const items = ([] as Item[]).concat(ds.ContentSequence ?? []);
  const named = (meaning: string) => items.find((i) => first(i.ConceptNameCodeSequence)?.CodeMeaning === meaning);
  const numeric = first(named('Bone age')?.MeasuredValueSequence)?.NumericValue;
  return {
    studyInstanceUid: String(ds.StudyInstanceUID ?? ''),
    algorithm: named('Algorithm Name')?.TextValue ?? '',
    finding: named('Finding')?.TextValue ?? null,
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
