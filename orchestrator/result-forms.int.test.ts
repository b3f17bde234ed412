import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AifiEvent, EventOf, ProductId } from '../events/index.ts';
import { dciodvfyInstalled, dcmtkInstalled, NAMES, needService, orthancInstalled, startOrthanc, tempDir, tool, waitFor, withName, type Orthanc } from '../testing/index.ts';
import type { InferenceResult } from '../vendors/index.ts';
import { encodeTruth, startSimulatedVendor, type SimulatedVendor } from '../vendors/index.ts';
import { sendToPacs } from './pacs-delivery.ts';
import { resultLines, resultObjects, type ResultSource } from './result-object.ts';
import { secondaryCapturePixels } from './secondary-capture.ts';
import { callbackSink, createOrchestrator, hospitalsFileSchema, PILOT_HOSPITALS, readInstanceHeader, syntheticStudy, type Orchestrator } from './index.ts';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

const tools = await needService('dcmtk and dicom3tools (Debian packages dcmtk, dicom3tools)', () => (dcmtkInstalled(), dciodvfyInstalled()));
const orthancAvailable = tools && (await needService('Orthanc with the DICOMweb plugin (Debian packages orthanc, orthanc-dicomweb)', orthancInstalled));

/** The three pilot products with a result each can give. */
const RESULTS: [ProductId, InferenceResult, Parameters<typeof syntheticStudy>[0]][] = [
  ['bonexpert', { model_version: '3.1.2', finding: 'none', score: null, value: 10.42 }, { modality: 'DX', bodyPart: 'HAND', patientAge: '010Y', instances: 1 }],
  ['rbfracture', { model_version: '2.3.1', finding: 'positive', score: 0.87, value: null }, { modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y', instances: 3 }],
  ['cina-ipe', { model_version: '1.7.0', finding: 'negative', score: 0.12, value: null }, { modality: 'CT', bodyPart: 'CHEST', patientAge: '067Y', contrastAgent: 'IOMERON', instances: 4, rows: 16, columns: 16 }],
];

function source(spec: Parameters<typeof syntheticStudy>[0], files?: Buffer[]): ResultSource & { files: Buffer[] } {
  const made = files ?? syntheticStudy(spec).files;
  const headers = made.map(readInstanceHeader);
  return {
    files: made,
    header: headers[0]!,
    instances: new Map(headers.map((h) => [h.sopInstanceUid, { sopClassUid: h.sopClassUid, seriesInstanceUid: h.seriesInstanceUid }])),
  };
}

const read = (file: Buffer) => DicomMetaDictionary.naturalizeDataset(DicomMessage.readFile(new Uint8Array(file).buffer).dict) as Record<string, any>;

/** The SOP instances a CurrentRequestedProcedureEvidenceSequence names. */
const evidenceOf = (dataset: Record<string, any>) =>
  (dataset.CurrentRequestedProcedureEvidenceSequence as any[]).flatMap((s) => (s.ReferencedSeriesSequence as any[]).flatMap((r) => (r.ReferencedSOPSequence as any[]).map((i) => i.ReferencedSOPInstanceUID as string)));

/** All content items of an SR tree, depth first. */
const itemsOf = (node: Record<string, any>): Record<string, any>[] => ((node.ContentSequence as any[]) ?? []).flatMap((i) => [i, ...itemsOf(i)]);

describe.skipIf(!tools)('result forms (TID 1500 SR, Secondary Capture, Key Object Selection)', () => {
  const dir = tempDir('result-forms');
  afterAll(() => dir.remove());

  it.each(RESULTS)('writes each form of a %s result so that dciodvfy finds no error and dsrdump reads the SR', async (product, result, spec) => {
    const study = source(spec);
    const { objects, skipped } = resultObjects(study, product, result, ['sr', 'sc', 'ko']);
    expect(objects.map((o) => o.form)).toEqual(result.finding === 'negative' ? ['sr', 'sc'] : ['sr', 'sc', 'ko']);
    expect(skipped.map((s) => s.form)).toEqual(result.finding === 'negative' ? ['ko'] : []);
    for (const object of objects) {
      const path = join(dir.path, `${product}-${object.form}.dcm`);
      writeFileSync(path, object.file);
      const verified = await tool('dciodvfy', [path]);
      expect(verified.output.split('\n').filter((l) => l.startsWith('Error')), `${product} ${object.form}: ${verified.output}`).toEqual([]);
      const dataset = read(object.file);
      expect(dataset.StudyInstanceUID).toBe(study.header.studyInstanceUid);
      expect(dataset.PatientID).toBe(study.header.patientId);
      if (object.form === 'sc') continue;
      const dumped = await tool('dsrdump', [path]);
      expect(dumped.code, dumped.output).toBe(0);
      // The evidence is exactly the study's instances (for the key objects: the flagged images, which are all of them here).
      expect(evidenceOf(dataset).sort()).toEqual([...study.instances.keys()].sort());
    }
    const sr = read(objects[0]!.file);
    expect(sr.ContentTemplateSequence[0]).toMatchObject({ MappingResource: 'DCMR', TemplateIdentifier: '1500' });
    expect(sr.ConceptNameCodeSequence[0]).toMatchObject({ CodeValue: '126000', CodingSchemeDesignator: 'DCM' });
    const items = itemsOf(sr);
    const byMeaning = (m: string) => items.find((i) => i.ConceptNameCodeSequence?.[0]?.CodeMeaning === m);
    expect(byMeaning('Algorithm Name')?.TextValue).toBe({ bonexpert: 'BoneXpert', rbfracture: 'RBfracture', 'cina-ipe': 'CINA-iPE' }[product as string]);
    expect(byMeaning('Algorithm Version')?.TextValue).toBe(result.model_version);
    const library = items.filter((i) => i.ValueType === 'IMAGE').map((i) => i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID);
    expect(library.sort()).toEqual([...study.instances.keys()].sort());
    if (product === 'bonexpert') {
      const boneAge = byMeaning('XR Bone age')!;
      expect(boneAge.ConceptNameCodeSequence[0]).toMatchObject({ CodeValue: '37362-1', CodingSchemeDesignator: 'LN' });
      expect(boneAge.MeasuredValueSequence[0]).toMatchObject({ NumericValue: 10.42, MeasurementUnitsCodeSequence: [{ CodeValue: 'a', CodingSchemeDesignator: 'UCUM' }] });
    } else {
      const code = { rbfracture: '125605004', 'cina-ipe': '59282003' }[product as string]!;
      expect(byMeaning('Finding')?.ConceptCodeSequence[0]).toMatchObject({ CodeValue: code, CodingSchemeDesignator: 'SCT' });
      const presence = items.find((i) => i.ValueType === 'CODE' && i.ConceptNameCodeSequence[0].CodeValue === code)!;
      expect(presence.ConceptCodeSequence[0].CodeValue).toBe(result.finding === 'positive' ? '52101004' : '2667000');
      expect(Number(byMeaning('AI model score')!.MeasuredValueSequence[0].NumericValue)).toBeCloseTo(result.score!, 4);
    }
  });

  it('addresses the result to the patient by name in every character set (UTF-8 in the result)', () => {
    const file = withName(NAMES['ISO 2022 IR 87']);
    const study = source({ modality: 'DX', bodyPart: 'HAND' }, [file]);
    const [sr] = resultObjects(study, 'bonexpert', RESULTS[0]![1], ['sr']).objects;
    const dataset = read(sr!.file);
    expect(dataset.SpecificCharacterSet).toBe('ISO_IR 192');
    expect(dataset.PatientName[0]).toMatchObject({ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' });
  });

  it('renders the Secondary Capture as a real toolkit decodes it: marked, and naming product, version and result', async () => {
    const study = source(RESULTS[1]![2]);
    const [sc] = resultObjects(study, 'rbfracture', RESULTS[1]![1], ['sc']).objects;
    const path = join(dir.path, 'sc.dcm');
    writeFileSync(path, sc!.file);
    // dcmtk decodes the image to a PGM: its pixels must be the lines drawn, the marking first.
    const rendered = await tool('dcmj2pnm', ['--write-raw-pnm', path, join(dir.path, 'sc.pgm')]);
    expect(rendered.code, rendered.output).toBe(0);
    const pgm = (await import('node:fs')).readFileSync(join(dir.path, 'sc.pgm'));
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.toString('latin1', 0, 40))!;
    const lines = ['AI result, not for diagnosis alone', '', ...resultLines('rbfracture', RESULTS[1]![1])];
    expect(lines).toEqual(expect.arrayContaining(['Product: RBfracture (radiobotics)', 'Version: 2.3.1', 'Finding: Fracture of bone present', 'Score: 0.87']));
    const expected = secondaryCapturePixels(lines);
    expect([Number(header[1]), Number(header[2])]).toEqual([expected.columns, expected.rows]);
    expect(Buffer.compare(pgm.subarray(header[0].length), Buffer.from(expected.pixels))).toBe(0);
    expect(read(sc!.file)).toMatchObject({ BurnedInAnnotation: 'YES', ImageComments: 'AI result, not for diagnosis alone', Modality: 'OT' });
    // And as a picture for people (bench/secondary-capture-rbfracture.png is this rendering of it).
    const png = await tool('dcmj2pnm', ['+on', '-il', path, join(dir.path, 'sc.png')]);
    expect(png.code, png.output).toBe(0);
  });
});

describe.skipIf(!orthancAvailable)('result forms into a real PACS (Orthanc)', () => {
  let orthanc: Orthanc;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    orthanc = await startOrthanc({ aeTitle: 'ORTHANC' });
    closers.push(() => orthanc.stop());
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  /** WADO-RS: the instance as Orthanc returns it; its SOP Instance UID and class. */
  async function wado(studyUid: string, seriesUid: string, sopUid: string) {
    const response = await fetch(`${orthanc.url}/dicom-web/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}`, { headers: { accept: 'multipart/related; type="application/dicom"' } });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const start = body.indexOf(Buffer.from('DICM')) - 128;
    return read(body.subarray(start));
  }

  it('takes each form by STOW-RS and by C-STORE, and returns it by WADO', async () => {
    for (const via of ['stow', 'c-store'] as const) {
      const study = source(RESULTS[1]![2]);
      for (const file of study.files) await orthanc.upload(file);
      const { objects } = resultObjects(study, 'rbfracture', RESULTS[1]![1], ['sr', 'sc', 'ko']);
      const target = via === 'stow' ? ({ via, url: `${orthanc.url}/dicom-web`, headers: {} } as const) : ({ via, aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort } as const);
      for (const object of objects) {
        expect(await sendToPacs(target, object.file, object.dataset, 'AIFI', 10_000), `${via} ${object.form}`).toEqual({ status: 0 });
        const back = await wado(study.header.studyInstanceUid, object.dataset.SeriesInstanceUID as string, object.sopInstanceUid);
        expect(back.SOPClassUID, `${via} ${object.form}`).toBe(object.dataset.SOPClassUID);
        expect(back.SOPInstanceUID).toBe(object.sopInstanceUid);
      }
    }
  });

  it('puts the forms each hospital chose into its PACS, and says in result.delivered what the PACS acknowledged', async () => {
    const events: AifiEvent[] = [];
    const vendor: SimulatedVendor = await startSimulatedVendor('rbfracture', { latency_median_ms: 5, latency_sigma: 0, sensitivity: 1, specificity: 1 });
    closers.push(() => vendor.close());
    const hospitals = hospitalsFileSchema.parse({
      hospitals: [
        { ...PILOT_HOSPITALS.hospitals[0]!, products: { rbfracture: { deliver: true, forms: ['sr', 'ko'] } }, pacs: { via: 'stow', url: `${orthanc.url}/dicom-web` } },
        { ...PILOT_HOSPITALS.hospitals[1]!, products: { rbfracture: { deliver: true, forms: ['sc'] } }, pacs: { via: 'c-store', aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort } },
      ],
    });
    const orchestrator: Orchestrator = await createOrchestrator({
      hospitals,
      secrets: new Map(hospitals.hospitals.map((h) => [h.id, { pseudonym_key: 'c'.repeat(64), token: `token-${h.id}-0123456789abcdef` }])),
      sink: callbackSink('memory', async (e) => void events.push(...e)),
      log: Fastify({ logger: false }).log,
      quietMs: 20,
      maxStowBytes: 1 << 20,
      dicom: null,
      vendors: new Map([['rbfracture', vendor.url]]),
      delivery: { maxAttempts: 2, timeoutMs: 10_000, baseDelayMs: 10 },
    });
    closers.push(() => orchestrator.close());
    const studies = new Map<string, string>();
    for (const hospital of hospitals.hospitals) {
      const study = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y', instances: 2, imageComments: encodeTruth({ finding: 'positive', boneAgeYears: null }) });
      studies.set(hospital.id, study.studyInstanceUid);
      for (const file of study.files) {
        await orthanc.upload(file);
        orchestrator.intake.receive(orchestrator.intake.hospital(hospital.id)!, 'automatic', readInstanceHeader(file), 'stow');
      }
    }
    const delivered = () => events.filter((e): e is EventOf<'result.delivered'> & AifiEvent => e.type === 'result.delivered');
    await waitFor('both deliveries', () => delivered().length === 2, 20_000);
    const byHospital = Object.fromEntries(delivered().map((e) => [e.hospital, e]));
    expect(byHospital[hospitals.hospitals[0]!.id]).toMatchObject({ channel: 'dicom-sr', acknowledged: true, pacs_via: 'stow', forms: [{ form: 'sr', acknowledged: true, status: 0 }, { form: 'ko', acknowledged: true, status: 0 }] });
    expect(byHospital[hospitals.hospitals[1]!.id]).toMatchObject({ channel: 'dicom-sc', acknowledged: true, pacs_via: 'c-store', forms: [{ form: 'sc', acknowledged: true, status: 0 }] });
    // What Orthanc holds of each study: the two images and the forms chosen, nothing else.
    for (const [hospital, uid] of studies) {
      const found = await orthanc.api<{ MainDicomTags: Record<string, string> }[]>('POST', '/tools/find', { Level: 'Series', Query: { StudyInstanceUID: uid }, Expand: true });
      const modalities = found.map((s) => s.MainDicomTags.Modality).sort();
      expect(modalities, hospital).toEqual(hospital === hospitals.hospitals[0]!.id ? ['DX', 'KO', 'SR'] : ['DX', 'OT']);
    }
  });
});
