import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { Pseudonymizer, syntheticStudy, type SyntheticStudy } from '../orchestrator/index.ts';
import { oruMessage, RisSender } from '../simulator/index.ts';
import { needService, orthancInstalled, startOrthanc, tempDir, waitFor, type Orthanc } from '../testing/index.ts';
import { startStack, type FullStack } from './index.ts';

const available = await needService('Orthanc with the DICOMweb plugin (Debian packages orthanc, orthanc-dicomweb)', orthancInstalled);

/** Identifying values a real PACS would hold: none may reach an event or the store. */
const CANARY = {
  patientName: 'Canaryname^Wilhelmina',
  patientId: 'CANARY-PID-884120',
  birthDate: '20160317',
  accessionNumber: 'CANARY-ACC-552107',
  referringPhysician: 'Canarydoc^Quirijn',
};

/** The four pilot cases, with fresh UIDs each call. */
function pilotStudies(): Record<string, SyntheticStudy> {
  return {
    boneAge: { modality: 'DX', bodyPart: 'HAND', patientAge: '009Y', sex: 'F', studyDescription: 'Skeletleeftijd hand links', ...CANARY },
    wrist: { modality: 'DX', bodyPart: 'WRIST', birthDate: '19810101', studyDate: '20260302', sex: 'M', priority: 'STAT', requestingService: 'SEH', instances: 2 },
    chestCt: { modality: 'CT', bodyPart: 'CHEST', patientAge: '067Y', contrastAgent: 'IOMERON 350', instances: 12 },
    brainMr: { modality: 'MR', bodyPart: 'HEAD', patientAge: '030Y' },
  };
}

/** What the events of each case must say: the study facts, and per product [outcome, rule]. */
const EXPECTED = {
  boneAge: {
    received: { modality: 'DX', body_part: 'HAND', age_years: 9, sex: 'F', urgency: 'routine', instance_count: 1, contrast: false },
    routed: { bonexpert: ['routed', 'paediatric-bone-age'], rbfracture: ['not_eligible', 'not-bone-age-request'], 'cina-ipe': ['not_eligible', 'modality'] },
  },
  wrist: {
    received: { modality: 'DX', body_part: 'WRIST', age_years: 45, sex: 'M', urgency: 'acute', instance_count: 2, contrast: false },
    routed: { bonexpert: ['not_eligible', 'age'], rbfracture: ['routed', 'skeletal-xray'], 'cina-ipe': ['not_eligible', 'modality'] },
  },
  chestCt: {
    received: { modality: 'CT', body_part: 'CHEST', age_years: 67, urgency: 'routine', instance_count: 12, contrast: true },
    routed: { bonexpert: ['not_eligible', 'modality'], rbfracture: ['not_eligible', 'modality'], 'cina-ipe': ['routed', 'contrast-chest-ct'] },
  },
  brainMr: {
    received: { modality: 'MR', body_part: 'HEAD', age_years: 30, urgency: 'routine', instance_count: 1, contrast: false },
    routed: { bonexpert: ['not_eligible', 'modality'], rbfracture: ['not_eligible', 'modality'], 'cina-ipe': ['not_eligible', 'modality'] },
  },
} as const;

describe.skipIf(!available)('intake from a real PACS (Orthanc)', () => {
  const dir = tempDir('pacs-intake');
  let stack: FullStack;
  let orthanc: Orthanc;
  let pseudonyms: Pseudonymizer;

  beforeAll(async () => {
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_STUDY_QUIET_MS: '500', AIFI_LOG_LEVEL: 'warn' });
    stack = await startStack(config, { port: 0, dicomPort: 0 });
    const secrets = JSON.parse(readFileSync(config.orchestrator.secretsFile, 'utf8')).hospitals;
    pseudonyms = new Pseudonymizer(new Map([['catharina', secrets.catharina.pseudonym_key]]));
    orthanc = await startOrthanc({
      aeTitle: 'CZE_PACS',
      dicomWebServers: {
        aifi: { url: `${stack.url}/dicomweb/`, headers: { Authorization: `Bearer ${secrets.catharina.token}` } },
      },
      modalities: { aifi: ['AIFI', '127.0.0.1', stack.orchestrator.dicomPort!] },
    });
  });
  afterAll(async () => {
    await orthanc?.stop();
    await stack?.close();
    dir.remove();
  });

  async function sendThrough(channel: 'stow' | 'c-store') {
    const studies = Object.entries(pilotStudies()).map(([name, spec]) => ({ name: name as keyof typeof EXPECTED, ...syntheticStudy(spec) }));
    const orthancIds: string[] = [];
    for (const s of studies) {
      for (const file of s.files) orthancIds.push((await orthanc.upload(file)).ParentStudy);
    }
    const resources = [...new Set(orthancIds)];
    if (channel === 'stow') await orthanc.api('POST', '/dicom-web/servers/aifi/stow', { Resources: resources, Synchronous: true });
    else await orthanc.api('POST', '/modalities/aifi/store', { Resources: resources, Synchronous: true });
    const keys = studies.map((s) => pseudonyms.pseudonym('catharina', 'study', s.studyInstanceUid));
    await waitFor(
      `the events of ${studies.length} studies sent by ${channel}`,
      async () => {
        const [row] = await stack.store.query<{ n: number }>("SELECT count() AS n FROM events WHERE type = 'study.received' AND study_key IN {keys:Array(String)}", { keys });
        return row!.n === studies.length;
      },
      30_000,
    );
    return studies.map((s, i) => ({ ...s, studyKey: keys[i]! }));
  }

  async function eventsOf(studyKey: string) {
    return stack.store.query<Record<string, unknown>>('SELECT type, product, outcome, rule, modality, body_part, age_years, sex, urgency, send_mode, instance_count, contrast, hospital FROM events WHERE study_key = {k:String} AND type IN (\'study.received\', \'study.routed\') ORDER BY type, product', { k: studyKey });
  }

  for (const channel of ['stow', 'c-store'] as const) {
    it(`emits exactly the expected study.received and study.routed events for studies forwarded by ${channel === 'stow' ? 'STOW-RS' : 'C-STORE'}`, async () => {
      for (const study of await sendThrough(channel)) {
        const events = await eventsOf(study.studyKey);
        expect(events, study.name).toHaveLength(4);
        const received = events.find((e) => e.type === 'study.received')!;
        const expected = EXPECTED[study.name];
        expect(received, study.name).toMatchObject({ hospital: 'catharina', send_mode: 'automatic', ...expected.received, contrast: expected.received.contrast ? 1 : 0 });
        const routed = Object.fromEntries(events.filter((e) => e.type === 'study.routed').map((e) => [e.product, [e.outcome, e.rule]]));
        expect(routed, study.name).toEqual(expected.routed);
      }
    });
  }

  it('counts instances, studies and routing decisions on /metrics, for the scrape token only', async () => {
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${stack.url}/metrics`, { headers: { authorization: 'Bearer not-the-scrape-token' } })).status).toBe(401);
    const metrics = await (await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${stack.scrapeToken}` } })).text();
    expect(metrics).toMatch(/aifi_orchestrator_instances_received_total\{channel="stow",outcome="new-study"\} [1-9]/);
    expect(metrics).toMatch(/aifi_orchestrator_instances_received_total\{channel="dimse",outcome="added"\} [1-9]/);
    expect(metrics).toMatch(/aifi_orchestrator_routing_decisions_total\{hospital="catharina",product="cina-ipe",outcome="routed"\} 2/);
    expect(metrics).toMatch(/aifi_orchestrator_intake_seconds_count\{channel="dimse"\} 16/);
  });

  it('lets no identifying value reach an event or the store, the RIS report of the study included', async () => {
    const studies = await sendThrough('stow');
    const uids = studies.map((s) => s.studyInstanceUid);
    // The RIS reports the canary study by its accession number, with the reader's name and the report's text.
    const ris = new RisSender('127.0.0.1', stack.orchestrator.hl7Port!);
    try {
      const ack = await ris.send(
        oruMessage({
          facility: 'catharina', controlId: 'canary-report', accession: CANARY.accessionNumber, status: 'final', at: Date.now() - 1000,
          readerId: 'CANARY-RAD-190233', readerName: 'Canaryreader', patientName: CANARY.patientName, text: 'Canarytext skeletleeftijd 9 jaar', finding: { concept: 'fracture', finding: 'negative' },
        }),
      );
      expect(ack.code, ack.text).toBe('AA');
    } finally {
      await ris.close();
    }
    // The report found its study through the accession's pseudonym.
    const boneAge = studies.find((s) => s.name === 'boneAge')!;
    const matched = await stack.store.query<{ study_key: string }>(
      "SELECT a.study_key AS study_key FROM reports AS r INNER JOIN study_accessions AS a USING (hospital, accession_key) WHERE r.hospital = 'catharina' GROUP BY a.study_key",
    );
    expect(matched.map((m) => m.study_key)).toContain(boneAge.studyKey);
    const dump =
      (await stack.store.queryText('SELECT * FROM events', 'JSONEachRow')) +
      (await stack.store.queryText('SELECT * FROM study_product_lifecycle', 'JSONEachRow')) +
      (await stack.store.queryText('SELECT hospital, study_key, product FROM lifecycle', 'JSONEachRow')) +
      (await stack.store.queryText('SELECT hospital, accession_key, finalizeAggregation(final_reader) AS reader, finalizeAggregation(coded_finding) AS coded FROM reports', 'JSONEachRow')) +
      (await stack.store.queryText('SELECT * FROM study_accessions', 'JSONEachRow'));
    expect(dump.length).toBeGreaterThan(1000);
    expect(dump).toContain('report.signed');
    const needles = [...Object.values(CANARY), 'Canaryname', 'Wilhelmina', 'Canarydoc', '2016-03-17', '884120', '552107', 'Skeletleeftijd', 'CANARY-RAD-190233', 'Canaryreader', 'Canarytext', ...uids];
    for (const needle of needles) expect(dump.toLowerCase(), needle).not.toContain(needle.toLowerCase());
  });
});

const run = promisify(execFile);

describe.skipIf(!available)('dcmtk against the C-STORE SCP', () => {
  const dir = tempDir('dcmtk');
  let stack: FullStack;

  beforeAll(async () => {
    stack = await startStack(loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_STUDY_QUIET_MS: '200', AIFI_LOG_LEVEL: 'silent' }), { port: 0, dicomPort: 0 });
  });
  afterAll(async () => {
    await stack?.close();
    dir.remove();
  });

  it('answers echoscu, refuses an unknown calling AE title, and stores what storescu sends', async () => {
    const port = String(stack.orchestrator.dicomPort);
    // The SCP runs in this process: the dcmtk tools must run asynchronously.
    await expect(run('echoscu', ['-aet', 'GELRE_PACS', '-aec', 'AIFI', '127.0.0.1', port])).resolves.toBeDefined();
    await expect(run('echoscu', ['-aet', 'STRANGER', '-aec', 'AIFI', '127.0.0.1', port])).rejects.toThrow(/Calling AE Title Not Recognized/);
    await expect(run('echoscu', ['-aet', 'GELRE_PACS', '-aec', 'SOMEONE', '127.0.0.1', port])).rejects.toThrow(/Called AE Title Not Recognized/);
    const study = syntheticStudy({ modality: 'CR', bodyPart: 'KNEE', patientAge: '052Y', instances: 3 });
    const files = study.files.map((f, i) => {
      const path = join(dir.path, `knee-${i}.dcm`);
      writeFileSync(path, f);
      return path;
    });
    await run('storescu', ['-aet', 'GELRE_PACS_MAN', '-aec', 'AIFI', '127.0.0.1', port, ...files]);
    await waitFor('the stored study', async () => {
      const rows = await stack.store.query<{ instance_count: number; send_mode: string; hospital: string }>("SELECT instance_count, send_mode, hospital FROM events WHERE type = 'study.received'");
      return rows.length === 1 && rows[0];
    }).then((row) => expect(row).toEqual({ instance_count: 3, send_mode: 'manual', hospital: 'gelre' }));
  });
});
