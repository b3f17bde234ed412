import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { PILOT_HOSPITALS, Pseudonymizer, syntheticStudy, type HospitalsFile } from '../orchestrator/index.ts';
import { needService, orthancInstalled, startOrthanc, tempDir, waitFor, type Orthanc } from '../testing/index.ts';
import { encodeTruth } from '../vendors/index.ts';
import { startStack, type FullStack } from './index.ts';

const available = await needService('Orthanc with the DICOMweb plugin and dcmtk (Debian packages orthanc, orthanc-dicomweb, dcmtk)', orthancInstalled);
const run = promisify(execFile);

describe.skipIf(!available)("a study's whole life, with Orthanc as the hospital PACS", () => {
  const dir = tempDir('lifecycle');
  let orthanc: Orthanc;
  let stack: FullStack;
  let secrets: Record<string, { pseudonym_key: string; token: string }>;

  beforeAll(async () => {
    // The PACS must exist before the stack knows where to deliver: Orthanc first, then the stack,
    // then Orthanc is told where the stack listens (through its REST API, no restart).
    orthanc = await startOrthanc({ aeTitle: 'CZE_PACS' });
    const hospitals: HospitalsFile = {
      hospitals: PILOT_HOSPITALS.hospitals.map((h) => {
        if (h.id === 'catharina') return { ...h, pacs: { via: 'stow' as const, url: `${orthanc.url}/dicom-web`, headers: {} } };
        if (h.id === 'gelre') return { ...h, aeTitles: { GELRE_PACS: 'automatic' as const }, pacs: { via: 'c-store' as const, aeTitle: 'CZE_PACS', host: '127.0.0.1', port: orthanc.dicomPort } };
        return h;
      }),
    };
    writeFileSync(join(dir.path, 'hospitals.json'), JSON.stringify(hospitals));
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_HOSPITALS_FILE: join(dir.path, 'hospitals.json'), AIFI_STUDY_QUIET_MS: '300', AIFI_LOG_LEVEL: 'warn' });
    stack = await startStack(config, {
      port: 0,
      dicomPort: 0,
      simulatedVendors: { bonexpert: { latency_median_ms: 50, latency_sigma: 0, sd_years: 0, bias_years: 0 }, rbfracture: { latency_median_ms: 50, latency_sigma: 0, mode: 'poll' } },
    });
    secrets = JSON.parse(readFileSync(config.orchestrator.secretsFile, 'utf8')).hospitals;
    await orthanc.api('PUT', '/dicom-web/servers/aifi', { Url: `${stack.url}/dicomweb/`, HttpHeaders: { Authorization: `Bearer ${secrets.catharina!.token}` } });
    await orthanc.api('PUT', '/modalities/aifi', { AET: 'AIFI', Host: '127.0.0.1', Port: stack.orchestrator.dicomPort });
  });
  afterAll(async () => {
    await stack?.close();
    await orthanc?.stop();
    dir.remove();
  });

  async function resultsInOrthanc(orthancStudy: string) {
    const series = await orthanc.api<{ ID: string; MainDicomTags: { Modality: string }; Instances: string[] }[]>('GET', `/studies/${orthancStudy}/series`);
    return series.filter((s) => s.MainDicomTags.Modality === 'SR').flatMap((s) => s.Instances);
  }

  it('comes back into Orthanc as an SR of the same study that dcmtk reads, and its events form a complete, ordered lifecycle', async () => {
    const study = syntheticStudy({
      modality: 'DX',
      bodyPart: 'HAND',
      patientAge: '011Y',
      patientName: 'Lifecycle^Lotte',
      studyDescription: 'Botleeftijd',
      imageComments: encodeTruth({ finding: 'negative', boneAgeYears: 12.4 }),
    });
    const uploaded = await orthanc.upload(study.files[0]!);
    await orthanc.api('POST', '/dicom-web/servers/aifi/stow', { Resources: [uploaded.ParentStudy], Synchronous: true });

    const srs = await waitFor('the SR in Orthanc', async () => {
      const found = await resultsInOrthanc(uploaded.ParentStudy);
      return found.length > 0 && found;
    }, 30_000);
    const tags = await orthanc.api<Record<string, string>>('GET', `/instances/${srs[0]}/simplified-tags`);
    expect(tags).toMatchObject({ StudyInstanceUID: study.studyInstanceUid, PatientName: 'Lifecycle^Lotte', Modality: 'SR' });
    const srResponse = await fetch(`${orthanc.url}/instances/${srs[0]}/file`);
    const srPath = join(dir.path, 'result.dcm');
    writeFileSync(srPath, Buffer.from(await srResponse.arrayBuffer()));
    const { stdout } = await run('dsrdump', [srPath]);
    expect(stdout).toContain('"Algorithm Name")="BoneXpert"');
    expect(stdout).toContain('"XR Bone age")="12.4" (a,UCUM,"year")');

    // The radiologist looks at the result, and gives a verdict (the client may send it twice).
    const auth = { authorization: `Bearer ${secrets.catharina!.token}`, 'content-type': 'application/json' };
    const usage = { id: 'view-1', study_instance_uid: study.studyInstanceUid, product: 'bonexpert', user_id: 'u.jansen', role: 'radiologist', at: new Date(Date.now() + 1000).toISOString() };
    expect((await fetch(`${stack.url}/v1/usage`, { method: 'POST', headers: auth, body: JSON.stringify(usage) })).status).toBe(202);
    const verdict = { id: 'verdict-1', study_instance_uid: study.studyInstanceUid, product: 'bonexpert', reader_id: 'u.jansen', value: 12.0, agreement: true, at: new Date(Date.now() + 2000).toISOString() };
    for (let i = 0; i < 2; i++) expect((await fetch(`${stack.url}/v1/verdicts`, { method: 'POST', headers: auth, body: JSON.stringify(verdict) })).status).toBe(202);
    const bad = await fetch(`${stack.url}/v1/verdicts`, { method: 'POST', headers: auth, body: JSON.stringify({ ...verdict, value: undefined, label: 'positive' }) });
    expect(bad.status).toBe(400);

    const key = new Pseudonymizer(new Map([['catharina', secrets.catharina!.pseudonym_key]])).pseudonym('catharina', 'study', study.studyInstanceUid);
    const sequence = await waitFor('the verdict in ClickHouse', async () => {
      const rows = await stack.store.query<{ type: string }>(
        "SELECT type FROM events FINAL WHERE study_key = {k:String} AND (product = 'bonexpert' OR type = 'study.received') ORDER BY occurred_at",
        { k: key },
      );
      return rows.some((r) => r.type === 'verdict.recorded') && rows.map((r) => r.type);
    }, 20_000);
    expect(sequence).toEqual(['study.received', 'study.routed', 'inference.requested', 'inference.completed', 'result.delivered', 'result.viewed', 'verdict.recorded']);
    const [life] = await stack.store.query<Record<string, string | number | null>>("SELECT * FROM study_product_lifecycle WHERE study_key = {k:String} AND product = 'bonexpert'", { k: key });
    const stages = ['received_at', 'routed_at', 'requested_at', 'completed_at', 'delivered_at', 'first_viewed_at', 'verdict_at'].map((s) => life![s] as string);
    expect(stages.every((t) => t !== null)).toBe(true);
    expect([...stages].sort()).toEqual(stages);
    expect(life).toMatchObject({ channel: "dicom-sr", viewers: 1, verdict_value: 12, verdict_agreement: 1, model_version: "3.2.1", ai_value: 12.4 });
  });

  it('delivers by C-STORE where the hospital is configured so, through the polling vendor protocol', async () => {
    const study = syntheticStudy({ modality: 'CR', bodyPart: 'ANKLE', patientAge: '033Y', imageComments: encodeTruth({ finding: 'positive', boneAgeYears: null }) });
    const uploaded = await orthanc.upload(study.files[0]!);
    // Orthanc calls as CZE_PACS (Catharina); Gelre's PACS calls as GELRE_PACS: storescu plays it.
    const path = join(dir.path, 'ankle.dcm');
    writeFileSync(path, study.files[0]!);
    await run('storescu', ['-aet', 'GELRE_PACS', '-aec', 'AIFI', '127.0.0.1', String(stack.orchestrator.dicomPort), path]);
    const srs = await waitFor('the SR in Orthanc', async () => {
      const found = await resultsInOrthanc(uploaded.ParentStudy);
      return found.length > 0 && found;
    }, 30_000);
    const srPath = join(dir.path, 'ankle-result.dcm');
    writeFileSync(srPath, Buffer.from(await (await fetch(`${orthanc.url}/instances/${srs[0]}/file`)).arrayBuffer()));
    const { stdout } = await run('dsrdump', [srPath]);
    expect(stdout).toContain('"Algorithm Name")="RBfracture"');
    expect(stdout).toContain('"Finding")=(125605004,SCT,"Fracture of bone")');
    expect(stdout).toMatch(/"Fracture of bone"\)=\((52101004,SCT,"Present"|2667000,SCT,"Absent")\)/);
  });

  it('runs AI on a study a user sends by hand, and refuses an unknown study', async () => {
    const study = syntheticStudy({ modality: 'DX', bodyPart: 'CHEST', patientAge: '050Y', imageComments: encodeTruth({ finding: 'negative', boneAgeYears: null }) });
    const body = Buffer.concat([Buffer.from('--m\r\nContent-Type: application/dicom\r\n\r\n'), study.files[0]!, Buffer.from('\r\n--m--\r\n')]);
    const auth = { authorization: `Bearer ${secrets.zgt!.token}` };
    expect((await fetch(`${stack.url}/dicomweb/studies`, { method: 'POST', body, headers: { ...auth, 'content-type': 'multipart/related; type="application/dicom"; boundary=m' } })).status).toBe(200);
    const key = new Pseudonymizer(new Map([['zgt', secrets.zgt!.pseudonym_key]])).pseudonym('zgt', 'study', study.studyInstanceUid);
    await waitFor('the routing decisions', async () => (await stack.store.query("SELECT 1 FROM events WHERE study_key = {k:String} AND type = 'study.routed'", { k: key })).length === 3);
    const send = (uid: string) => fetch(`${stack.url}/v1/studies/${uid}/send`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ product: 'rbfracture' }) });
    expect((await send(study.studyInstanceUid)).status).toBe(202);
    expect((await send('1.2.3.4.5')).status).toBe(404);
    const rows = await waitFor('the manual inference', async () => {
      const r = await stack.store.query<{ routing_rule: string; completed_at: string | null }>("SELECT routing_rule, completed_at FROM study_product_lifecycle WHERE study_key = {k:String} AND product = 'rbfracture'", { k: key });
      return r[0]?.completed_at ? r : null;
    }, 20_000);
    expect(rows[0]!.routing_rule).toBe('manual-request');
  });
});
