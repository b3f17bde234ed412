import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { Pseudonymizer } from '../orchestrator/index.ts';
import { oruMessage, RisSender, type OruFields } from '../simulator/index.ts';
import { mllpSend, mllpSendInstalled, needService, tempDir, waitFor } from '../testing/index.ts';
import { startStack, type FullStack } from './index.ts';

const available = await needService("Python's hl7 package (mllp_send, from PyPI, in deploy/hl7/.venv)", mllpSendInstalled);

/** What a RIS holds and must never reach an event or the store. */
const CANARY = {
  accession: 'CANARY-ACC-731904',
  readerId: 'CANARY-RAD-55821',
  readerName: 'Canaryreader',
  patientName: 'Canarypatient^Hendrika',
  text: 'Canarytext: geen fractuur zichtbaar, wel een canarybevinding',
};

describe.skipIf(!available)('radiology reports from the RIS (HL7 v2 over MLLP by a real client, and FHIR)', () => {
  const dir = tempDir('reports');
  let stack: FullStack;
  let pseudonyms: Pseudonymizer;
  let token: string;
  const now = Date.now();
  const oru = (f: Partial<OruFields> & { controlId: string }) =>
    oruMessage({ facility: 'catharina', accession: CANARY.accession, status: 'final', at: now - 60_000, readerId: CANARY.readerId, readerName: CANARY.readerName, patientName: CANARY.patientName, text: CANARY.text, ...f });
  const reportEvents = async () =>
    stack.store.query<{ event_id: string; status: string; payload: string }>("SELECT event_id, status, payload FROM events FINAL WHERE type = 'report.signed' ORDER BY occurred_at, event_id");

  beforeAll(async () => {
    stack = await startStack(loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' }), { port: 0, dicomPort: null });
    const secrets = JSON.parse(readFileSync(`${dir.path}/secrets.json`, 'utf8')).hospitals;
    pseudonyms = new Pseudonymizer(new Map([['catharina', secrets.catharina.pseudonym_key]]));
    token = secrets.catharina.token;
  });
  afterAll(async () => {
    await stack?.close();
    dir.remove();
  });

  it('acknowledges ORU^R01 reports with AA once stored, keeps a repeat once, and keeps times, status, pseudonyms and the coded finding', async () => {
    expect(stack.orchestrator.hl7Port).toBeGreaterThan(0);
    const messages = [
      oru({ controlId: 'msg-1', status: 'preliminary', at: now - 120_000 }),
      oru({ controlId: 'msg-2', status: 'final', finding: { concept: 'fracture', finding: 'positive' } }),
      oru({ controlId: 'msg-2', status: 'final', finding: { concept: 'fracture', finding: 'positive' } }),
    ];
    const acks = await mllpSend(stack.orchestrator.hl7Port!, messages);
    expect(acks).toHaveLength(3);
    for (const [i, ack] of acks.entries()) {
      expect(ack[0], `ack ${i}`).toMatch(/^MSH\|\^~\\&\|AIFI\|AIFI\|RIS\|catharina\|/);
      expect(ack[1], `ack ${i}`).toMatch(new RegExp(`^MSA\\|AA\\|msg-${i === 0 ? 1 : 2}(\\||$)`));
    }
    // AA came once the event was stored: it is there now, the repeat once.
    const events = await reportEvents();
    expect(events.map((e) => e.status)).toEqual(['preliminary', 'final']);
    const final = JSON.parse(events[1]!.payload);
    expect(final).toMatchObject({
      schema_version: 2,
      hospital: 'catharina',
      accession_key: pseudonyms.pseudonym('catharina', 'accession', CANARY.accession),
      reader_key: pseudonyms.pseudonym('catharina', 'user', CANARY.readerId),
      status: 'final',
      finding_concept: 'fracture',
      finding: 'positive',
      occurred_at: new Date(now - 60_000).toISOString(),
    });
    const [report] = await stack.store.query<{ n: number; final_at: string; coded: unknown }>(
      'SELECT uniqExactMerge(report_events) AS n, min(final_at) AS final_at, argMaxMerge(coded_finding) AS coded FROM reports WHERE accession_key = {k:String}',
      { k: final.accession_key },
    );
    expect(Number(report!.n)).toBe(2);
    expect(report!.coded).toEqual(['fracture', 'positive']);
  });

  it('answers a malformed or unknown message with AE or AR and the reason, and stores nothing of it', async () => {
    const before = (await reportEvents()).length;
    const cases: [string, 'AE' | 'AR', RegExp][] = [
      [oru({ controlId: 'bad-1', accession: '' }), 'AE', /accession number is missing/],
      [oru({ controlId: 'bad-2' }).replace('|F|||', '|X|||'), 'AE', /result status X is not P, A, F or C/],
      [oru({ controlId: 'bad-3', facility: 'elsewhere' }), 'AR', /unknown sending facility elsewhere/],
      [oru({ controlId: 'bad-4' }).replace('ORU^R01^ORU_R01', 'ADT^A01^ADT_A01'), 'AR', /unsupported message type ADT A01/],
      [oru({ controlId: 'bad-5', at: Date.UTC(2019, 0, 1) }), 'AE', /occurred_at/],
      [oru({ controlId: 'bad-6' }).replace(/\|Y\|/, '|MAYBE|').replace('OBX|1|TX', 'OBX|1|CWE|125605004^Fracture^SCT||MAYBE|x\rOBX|2|TX'), 'AE', /coded finding value MAYBE/],
    ];
    const acks = await mllpSend(stack.orchestrator.hl7Port!, cases.map((c) => c[0]));
    expect(acks).toHaveLength(cases.length);
    for (const [i, [, code, reason]] of cases.entries()) {
      const msa = acks[i]!.find((s) => s.startsWith('MSA|'))!;
      expect(msa, `case ${i + 1}`).toMatch(new RegExp(`^MSA\\|${code}\\|bad-${i + 1}\\|`));
      expect(msa, `case ${i + 1}`).toMatch(reason);
      expect(acks[i]!.find((s) => s.startsWith('ERR|')), `case ${i + 1}`).toBeDefined();
    }
    // Not HL7 at all: refused whole.
    const [garbage] = await mllpSend(stack.orchestrator.hl7Port!, ['this is not an HL7 message']);
    expect(garbage!.find((s) => s.startsWith('MSA|'))).toMatch(/^MSA\|AR\|/);
    expect((await reportEvents()).length).toBe(before);
  });

  it('refuses a frame that never ends past 1 MiB with AR, and closes the connection', async () => {
    const socket = connect(stack.orchestrator.hl7Port!, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(oru({ controlId: 'huge' })), Buffer.alloc(1_200_000, 'A')]));
    await closed;
    expect(answer).toMatch(/MSA\|AR\|\|a message over 1048576 bytes/);
  });

  it('takes the same report by the simulator\'s MLLP client, and status updates to amended', async () => {
    const sender = new RisSender('127.0.0.1', stack.orchestrator.hl7Port!);
    try {
      expect(await sender.send(oru({ controlId: 'sim-1', accession: 'SIM-ACC-1', status: 'final' }))).toEqual({ code: 'AA', text: expect.any(String) });
      expect((await sender.send(oru({ controlId: 'sim-2', accession: 'SIM-ACC-1', status: 'amended', at: now }))).code).toBe('AA');
    } finally {
      await sender.close();
    }
    const [row] = await stack.store.query<{ amended: string | null }>('SELECT max(amended_at) AS amended FROM reports WHERE accession_key = {k:String}', {
      k: pseudonyms.pseudonym('catharina', 'accession', 'SIM-ACC-1'),
    });
    expect(row!.amended).not.toBeNull();
  });

  const fhir = (body: unknown, auth = `Bearer ${token}`) =>
    fetch(`${stack.url}/fhir/DiagnosticReport`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
  const diagnosticReport = (over: Record<string, unknown> = {}) => ({
    resourceType: 'DiagnosticReport',
    id: 'rep-1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' }] },
    identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: 'FHIR-ACC-9' }],
    subject: { display: CANARY.patientName },
    issued: new Date(now - 30_000).toISOString(),
    resultsInterpreter: [{ identifier: { value: 'FHIR-RAD-3' }, display: CANARY.readerName }],
    conclusion: CANARY.text,
    conclusionCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '59282003', display: 'Pulmonary embolism' }] }],
    presentedForm: [{ contentType: 'text/plain', data: Buffer.from(CANARY.text).toString('base64') }],
    ...over,
  });

  it('stores a valid FHIR DiagnosticReport (201) once, and answers an invalid one with an OperationOutcome naming the field', async () => {
    const created = await fhir(diagnosticReport());
    expect(created.status).toBe(201);
    const outcome = await created.json();
    expect(outcome).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information' }] });
    expect((await fhir(diagnosticReport())).status).toBe(201);
    const k = pseudonyms.pseudonym('catharina', 'accession', 'FHIR-ACC-9');
    const stored = await stack.store.query<{ payload: string }>("SELECT payload FROM events FINAL WHERE type = 'report.signed' AND payload LIKE {k:String}", { k: `%${k}%` });
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.payload)).toMatchObject({ status: 'final', finding_concept: 'pulmonary-embolism', finding: 'positive', reader_key: pseudonyms.pseudonym('catharina', 'user', 'FHIR-RAD-3') });

    const invalid: [Record<string, unknown>, string][] = [
      [{ status: 'done' }, 'DiagnosticReport.status'],
      [{ status: 'cancelled' }, 'DiagnosticReport.status'],
      [{ identifier: [{ value: 'no-type' }] }, 'DiagnosticReport.identifier'],
      [{ issued: '2026-03-02' }, 'DiagnosticReport.issued'],
      [{ resourceType: 'Observation' }, 'DiagnosticReport.resourceType'],
      [{ code: undefined }, 'DiagnosticReport.code'],
      [{ contained: [{ resourceType: 'Observation', code: { coding: [{ system: 'http://snomed.info/sct', code: '59282003' }] }, valueString: 'yes' }] }, 'DiagnosticReport.contained[0].valueBoolean'],
    ];
    for (const [change, field] of invalid) {
      const response = await fhir(diagnosticReport({ id: `bad-${field.length}`, ...change }));
      expect(response.status, field).toBe(400);
      const body = await response.json();
      expect(body.resourceType, field).toBe('OperationOutcome');
      expect(body.issue[0].severity, field).toBe('error');
      expect(body.issue[0].expression, field).toEqual([field]);
    }
    const noToken = await fhir(diagnosticReport(), 'Bearer wrong');
    expect(noToken.status).toBe(401);
    expect((await noToken.json()).issue[0].code).toBe('login');
    const notJson = await fetch(`${stack.url}/fhir/DiagnosticReport`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: '{not json' });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).resourceType).toBe('OperationOutcome');
    expect(await stack.store.query("SELECT 1 FROM events WHERE type = 'report.signed' AND payload LIKE '%bad-%'")).toHaveLength(0);
  });

  it('lets no accession number, name or report text reach an event or the store', async () => {
    await waitFor('the reports', async () => (await reportEvents()).length >= 4);
    const dump =
      (await stack.store.queryText('SELECT * FROM events', 'JSONEachRow')) +
      (await stack.store.queryText('SELECT hospital, accession_key, finalizeAggregation(final_reader), finalizeAggregation(coded_finding) FROM reports', 'JSONEachRow')) +
      (await stack.store.queryText('SELECT * FROM study_accessions', 'JSONEachRow'));
    expect(dump.length).toBeGreaterThan(500);
    const needles = [...Object.values(CANARY), 'Canarypatient', 'Hendrika', 'canarybevinding', 'geen fractuur', '731904', '55821', 'FHIR-ACC-9', 'FHIR-RAD-3', 'SIM-ACC-1'];
    for (const needle of needles) expect(dump.toLowerCase(), needle).not.toContain(needle.toLowerCase());
  });
});
