import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AifiEvent, EventOf } from '../events/index.ts';
import { waitFor } from '../testing/index.ts';
import { callbackSink, createOrchestrator, encodeMultipart, PILOT_HOSPITALS, syntheticStudy, type Orchestrator } from './index.ts';

const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h, i) => [h.id, { pseudonym_key: String(i + 1).repeat(64), token: `token-of-${h.id}-0123456789abcdef` }]));
const auth = { authorization: 'Bearer token-of-gelre-0123456789abcdef' };
const emitted: AifiEvent[] = [];
let app: FastifyInstance;
let orchestrator: Orchestrator;

async function stow(parts: { type?: string; body: Buffer }[], headers: Record<string, string> = auth) {
  const { body, contentType } = encodeMultipart(parts.map((p) => ({ contentType: p.type ?? 'application/dicom', body: p.body })));
  return app.inject({ method: 'POST', url: '/dicomweb/studies', payload: body, headers: { ...headers, 'content-type': contentType } });
}

const ofType = <T extends AifiEvent['type']>(type: T) => emitted.filter((e): e is EventOf<T> & AifiEvent => e.type === type) as EventOf<T>[];

beforeAll(async () => {
  app = Fastify({ logger: false });
  orchestrator = await createOrchestrator({
    hospitals: PILOT_HOSPITALS,
    secrets,
    sink: callbackSink('memory', async (events) => void emitted.push(...events)),
    log: app.log,
    quietMs: 50,
    maxStowBytes: 2 * 1024 * 1024,
    dicom: null,
  });
  await app.register(orchestrator.routes);
});
afterAll(async () => {
  await app.close();
  await orchestrator.close();
});

describe('STOW-RS intake', () => {
  it('stores the good instances of a request and reports each bad one with its reason', async () => {
    const good = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '045Y', instances: 2 });
    const truncated = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '030Y' }).files[0]!;
    const noStudyUid = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', studyInstanceUid: '' }).files[0]!;
    const before = emitted.length;
    const response = await stow([
      { body: good.files[0]! },
      { body: Buffer.from('this is not DICOM at all') },
      { body: truncated.subarray(0, truncated.length - 1000) },
      { body: noStudyUid },
      { body: good.files[1]! },
      { type: 'image/jpeg', body: Buffer.from([0xff, 0xd8, 0xff]) },
    ]);
    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toMatch(/application\/dicom\+json/);
    const body = response.json();
    expect(body['00081199'].Value.map((r: Record<string, { Value: string[] }>) => r['00081155']!.Value[0])).toEqual(good.sopInstanceUids);
    const failures = body['00081198'].Value.map((f: Record<string, { Value: unknown[] }>) => [f['00081197']!.Value[0], f['00000902']!.Value[0]]);
    expect(failures).toEqual([
      [0xc000, 'not a DICOM Part 10 file (no DICM prefix at byte 128)'],
      [0xc000, 'truncated: PixelData has 7192 of 8192 bytes'],
      [0xa900, 'missing StudyInstanceUID (0020,000D)'],
      [0xc000, 'part is image/jpeg, not application/dicom'],
    ]);
    const intakeEvents = () => emitted.slice(before).filter((e) => e.type === 'study.received' || e.type === 'study.routed') as (AifiEvent & { study_key: string })[];
    await waitFor('the good study to complete', () => intakeEvents().length >= 4);
    const received = ofType('study.received').slice(-1)[0]!;
    expect(received).toMatchObject({ hospital: 'gelre', instance_count: 2, modality: 'DX', body_part: 'WRIST', age_years: 45, send_mode: 'automatic' });
    // A later study completes after anything the first request could still make: its events come next, and only then.
    const marker = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '050Y' });
    expect((await stow([{ body: marker.files[0]! }])).statusCode).toBe(200);
    await waitFor('the later study to complete', () => intakeEvents().length >= 8);
    const keys = intakeEvents().map((e) => e.study_key);
    // received + one decision per product for the good study, nothing for the refused ones; then the later study's four.
    expect(keys.slice(0, 4)).toEqual(Array(4).fill(received.study_key));
    expect(keys.slice(4)).toEqual(Array(4).fill(keys[4]));
    expect(keys[4]).not.toBe(received.study_key);
  });

  it('answers 409 when every instance failed, 401 without a valid token, 413 over the size limit, 400/415 for bad framing', async () => {
    expect((await stow([{ body: Buffer.from('garbage') }])).statusCode).toBe(409);
    const dicom = syntheticStudy({ modality: 'CR', bodyPart: 'KNEE' }).files[0]!;
    expect((await stow([{ body: dicom }], {})).statusCode).toBe(401);
    expect((await stow([{ body: dicom }], { authorization: 'Bearer not-a-token' })).statusCode).toBe(401);
    const big = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', rows: 1024, columns: 1100 }).files[0]!;
    expect((await stow([{ body: big }])).statusCode).toBe(413);
    const noBoundary = await app.inject({ method: 'POST', url: '/dicomweb/studies', payload: dicom, headers: { ...auth, 'content-type': 'multipart/related; type="application/dicom"' } });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.json().error).toMatch(/boundary/);
    const wrongType = await app.inject({ method: 'POST', url: '/dicomweb/studies', payload: '{}', headers: { ...auth, 'content-type': 'application/json' } });
    expect(wrongType.statusCode).toBe(415);
  });

  it('records the send mode the gateway declares, and refuses an unknown one', async () => {
    const study = syntheticStudy({ modality: 'DX', bodyPart: 'ANKLE', patientAge: '033Y' });
    const before = ofType('study.received').length;
    expect((await stow([{ body: study.files[0]! }], { ...auth, 'x-aifi-send-mode': 'manual' })).statusCode).toBe(200);
    await waitFor('the study', () => ofType('study.received').length > before);
    expect(ofType('study.received').at(-1)!.send_mode).toBe('manual');
    expect((await stow([{ body: study.files[0]! }], { ...auth, 'x-aifi-send-mode': 'sometimes' })).statusCode).toBe(400);
  });

  it('records an instance that arrives after its study completed as an amended study.received', async () => {
    const study = syntheticStudy({ modality: 'CT', bodyPart: 'CHEST', patientAge: '070Y', contrastAgent: 'IOMERON', instances: 3 });
    const before = ofType('study.received').length;
    await stow([{ body: study.files[0]! }, { body: study.files[1]! }]);
    await waitFor('the study', () => ofType('study.received').length > before);
    const routedBefore = ofType('study.routed').length;
    await stow([{ body: study.files[2]! }]);
    await waitFor('the amendment', () => ofType('study.received').length > before + 1);
    const [first, amended] = ofType('study.received').slice(-2);
    expect(first).toMatchObject({ instance_count: 2 });
    expect(amended).toMatchObject({ instance_count: 3, amended: true, study_key: first!.study_key });
    expect(ofType('study.routed').length).toBe(routedBefore); // not routed twice
  });
});
