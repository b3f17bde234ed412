import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AifiEvent } from '../events/index.ts';
import { convert, dcmtkInstalled, NAMES, needService, storescuAlone, waitFor, withName } from '../testing/index.ts';
import { part10Prefix } from './dicom-header.ts';
import { callbackSink, createOrchestrator, PILOT_HOSPITALS, Pseudonymizer, syntheticStudy, type Orchestrator } from './index.ts';

const available = await needService('dcmtk (Debian package dcmtk)', dcmtkInstalled);

const secrets = new Map(PILOT_HOSPITALS.hospitals.map((h, i) => [h.id, { pseudonym_key: String(i + 1).repeat(64), token: `token-of-${h.id}-0123456789abcdef` }]));
const pseudonyms = new Pseudonymizer(new Map([...secrets].map(([id, s]) => [id, s.pseudonym_key])));
const DX = '1.2.840.10008.5.1.4.1.1.1.1';

const item = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
const pdu = (type: number, body: Buffer) => {
  const head = Buffer.from([type, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
};

/** An A-ASSOCIATE-RQ from CZE_PACS to AIFI with one presentation context. */
function associateRequest(abstractSyntax = '1.2.840.10008.1.1', transferSyntax = '1.2.840.10008.1.2'): Buffer {
  const context = item(0x20, Buffer.concat([Buffer.from([1, 0, 0, 0]), item(0x30, Buffer.from(abstractSyntax)), item(0x40, Buffer.from(transferSyntax))]));
  const user = item(0x50, item(0x51, Buffer.from([0, 0, 0x40, 0])));
  const fixed = Buffer.concat([Buffer.from([0, 1, 0, 0]), Buffer.from('AIFI'.padEnd(16)), Buffer.from('CZE_PACS'.padEnd(16)), Buffer.alloc(32)]);
  return pdu(1, Buffer.concat([fixed, item(0x10, Buffer.from('1.2.840.10008.3.1.1.1')), context, user]));
}

/** An implicit little endian element of the command group. */
function commandElement(element: number, value: Buffer | number): Buffer {
  const bytes = typeof value === 'number' ? Buffer.from([value & 0xff, value >> 8]) : value.length % 2 ? Buffer.concat([value, Buffer.from([0])]) : value;
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(element, 2);
  head.writeUInt32LE(bytes.length, 4);
  return Buffer.concat([head, bytes]);
}

/**
 * A C-STORE written byte by byte (what dcmtk cannot send: a data set cut short, or a command naming another
 * instance than its data set), over an association in explicit little endian; resolves with the response's
 * status and error comment.
 */
function rawCStore(port: number, sopClassUid: string, sopInstanceUid: string, dataSet: Buffer, transferSyntax = '1.2.840.10008.1.2.1'): Promise<{ status: number; comment: string }> {
  const elements = Buffer.concat([
    commandElement(0x0002, Buffer.from(sopClassUid)),
    commandElement(0x0100, 0x0001),
    commandElement(0x0110, 1),
    commandElement(0x0700, 0),
    commandElement(0x0800, 0x0000),
    commandElement(0x1000, Buffer.from(sopInstanceUid)),
  ]);
  const group = Buffer.concat([commandElement(0x0000, Buffer.from(new Uint32Array([elements.length]).buffer)).subarray(0, 8), Buffer.from(new Uint32Array([elements.length]).buffer)]);
  group.writeUInt32LE(4, 4);
  const command = Buffer.concat([group, elements]);
  const pdv = (body: Buffer, header: number) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length + 2, 0);
    return Buffer.concat([length, Buffer.from([1, header]), body]);
  };
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(associateRequest(sopClassUid, transferSyntax)));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer[0] === 2) {
        buffer = Buffer.alloc(0);
        socket.write(pdu(4, pdv(command, 0x03)));
        for (let at = 0; at < dataSet.length; at += 8000) socket.write(pdu(4, pdv(dataSet.subarray(at, at + 8000), at + 8000 >= dataSet.length ? 0x02 : 0x00)));
      } else if (buffer[0] === 4 && buffer.length >= 6 + buffer.readUInt32BE(2)) {
        const response = buffer.subarray(12);
        const find = (element: number) => {
          for (let at = 0; at + 8 <= response.length; ) {
            const el = response.readUInt16LE(at + 2);
            const length = response.readUInt32LE(at + 4);
            if (el === element) return response.subarray(at + 8, at + 8 + length);
            at += 8 + length;
          }
          return Buffer.alloc(0);
        };
        const status = find(0x0900);
        resolve({ status: status.length === 2 ? status.readUInt16LE(0) : -1, comment: find(0x0902).toString('latin1').trim() });
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

/** The data set of a Part 10 file, after its file meta group. */
function dataSetOf(file: Buffer): Buffer {
  let at = 132;
  while (file.readUInt16LE(at) === 0x0002) {
    const vr = file.toString('latin1', at + 4, at + 6);
    at += ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr) ? 12 + file.readUInt32LE(at + 8) : 8 + file.readUInt16LE(at + 6);
  }
  return file.subarray(at);
}

/**
 * An object in an encapsulated transfer syntax dcmtk cannot write here (JPEG 2000, HTJ2K): the header in explicit
 * little endian, the pixel data as fragments (a codestream marker, not a decodable image: only headers are read).
 */
function encapsulated(transferSyntax: string): { file: Buffer; studyInstanceUid: string; sopInstanceUid: string } {
  const study = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '010Y', rows: 16, columns: 16 });
  const body = dataSetOf(study.files[0]!);
  const pixelAt = body.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f]));
  const fragment = Buffer.from('ff4fff51000000000000000000000000ffd9', 'hex');
  const item = (value: Buffer) => Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), Buffer.from(new Uint32Array([value.length]).buffer), value]);
  const pixels = Buffer.concat([
    Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    item(Buffer.alloc(0)),
    item(fragment),
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
  const sop = study.sopInstanceUids[0]!;
  return { file: Buffer.concat([part10Prefix(DX, sop, transferSyntax), body.subarray(0, pixelAt), pixels]), studyInstanceUid: study.studyInstanceUid, sopInstanceUid: sop };
}

describe.skipIf(!available)('C-STORE intake from real-world senders (dcmtk storescu)', () => {
  const emitted: AifiEvent[] = [];
  const logLines: string[] = [];
  let orchestrator: Orchestrator;
  let port: number;
  const consoleCalls = vi.fn();
  const target = () => ({ port, callingAe: 'CZE_PACS', calledAe: 'AIFI' });

  beforeAll(async () => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, method).mockImplementation(consoleCalls);
    const log = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => (logLines.push(...String(chunk).trim().split('\n')), done()) }));
    const app = Fastify({ loggerInstance: log });
    orchestrator = await createOrchestrator({
      hospitals: PILOT_HOSPITALS,
      secrets,
      sink: callbackSink('memory', async (events) => void emitted.push(...events)),
      log: app.log,
      quietMs: 100,
      maxStowBytes: 8 * 2 ** 20,
      dicom: { host: '127.0.0.1', port: 0, aeTitle: 'AIFI' },
    });
    port = orchestrator.dicomPort!;
  });
  afterAll(async () => {
    await orchestrator?.close();
    vi.restoreAllMocks();
  });

  const received = (studyInstanceUid: string) => {
    const key = pseudonyms.pseudonym('catharina', 'study', studyInstanceUid);
    return emitted.filter((e) => 'study_key' in e && e.study_key === key);
  };

  it('accepts every transfer syntax proposed alone, compressed and big endian included, and reads the header', async () => {
    const base = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '010Y', rows: 32, columns: 32 });
    const bytes = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '010Y', rows: 32, columns: 32, bitsAllocated: 8 });
    const cases: [string, string, () => Promise<{ file: Buffer; studyInstanceUid: string }>][] = [];
    const made = (source: typeof base, command: string, args: string[]) => async () => {
      // Each case gets its own study: convert a fresh copy with new UIDs.
      const study = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '010Y', rows: 32, columns: 32, bitsAllocated: source === bytes ? 8 : 16 });
      return { file: await convert(study.files[0]!, command, args), studyInstanceUid: study.studyInstanceUid };
    };
    cases.push(['1.2.840.10008.1.2', 'Implicit VR Little Endian', made(base, 'dcmconv', ['+ti'])]);
    cases.push(['1.2.840.10008.1.2.1', 'Explicit VR Little Endian', made(base, 'dcmconv', ['+te'])]);
    cases.push(['1.2.840.10008.1.2.2', 'Explicit VR Big Endian', made(base, 'dcmconv', ['+tb'])]);
    cases.push(['1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', made(base, 'dcmconv', ['+td'])]);
    cases.push(['1.2.840.10008.1.2.4.50', 'JPEG Baseline', made(bytes, 'dcmcjpeg', ['+eb'])]);
    cases.push(['1.2.840.10008.1.2.4.51', 'JPEG Extended', made(base, 'dcmcjpeg', ['+ee'])]);
    cases.push(['1.2.840.10008.1.2.4.57', 'JPEG Lossless', made(base, 'dcmcjpeg', ['+el'])]);
    cases.push(['1.2.840.10008.1.2.4.70', 'JPEG Lossless SV1', made(base, 'dcmcjpeg', ['+e1'])]);
    cases.push(['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', made(base, 'dcmcjpls', ['+el'])]);
    cases.push(['1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', made(base, 'dcmcjpls', ['+en'])]);
    cases.push(['1.2.840.10008.1.2.5', 'RLE Lossless', made(base, 'dcmcrle', [])]);
    for (const ts of ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']) {
      cases.push([ts, `encapsulated ${ts}`, async () => encapsulated(ts)]);
    }
    // dcmtk 3.6.7 does not know HTJ2K (2019): those are sent by a C-STORE written here, in their syntax alone.
    for (const ts of ['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']) {
      const { file, studyInstanceUid, sopInstanceUid } = encapsulated(ts);
      expect(await rawCStore(port, DX, sopInstanceUid, dataSetOf(file), ts), ts).toEqual({ status: 0, comment: '' });
      await waitFor(`study.received for ${ts}`, () => received(studyInstanceUid).some((e) => e.type === 'study.received'));
    }
    for (const [ts, name, make] of cases) {
      const { file, studyInstanceUid } = await make();
      expect(file.includes(Buffer.from(ts)), `${name}: the file is in its syntax`).toBe(true);
      const outcome = await storescuAlone(file, DX, ts, target());
      expect(outcome.status, `${name}: ${outcome.output.slice(-400)}`).toBe(0);
      await waitFor(`study.received for ${name}`, () => received(studyInstanceUid).some((e) => e.type === 'study.received'));
      expect(received(studyInstanceUid).find((e) => e.type === 'study.received'), name).toMatchObject({ modality: 'DX', body_part: 'HAND', age_years: 10 });
    }
  });

  it('accepts each character set, and no name reaches an event', async () => {
    for (const [label, name] of Object.entries(NAMES)) {
      const file = withName(name, { patientId: `PID-${label}` });
      const studyInstanceUid = /(2\.25\.\d+)/.exec(file.toString('latin1', file.indexOf(Buffer.from([0x20, 0x00, 0x0d, 0x00]))))![1]!;
      const outcome = await storescuAlone(file, DX, '1.2.840.10008.1.2.1', target());
      expect(outcome.status, `${label}: ${outcome.output.slice(-300)}`).toBe(0);
      await waitFor(`study.received for ${label}`, () => received(studyInstanceUid).find((e) => e.type === 'study.received'));
      const event = received(studyInstanceUid).find((e) => e.type === 'study.received')!;
      expect(event).toMatchObject({ patient_key: pseudonyms.pseudonym('catharina', 'patient', `PID-${label}`) });
    }
    const all = JSON.stringify(emitted);
    for (const name of Object.values(NAMES)) {
      for (const part of name.text.split(/[\^=]/).filter((p) => p.length > 1)) expect(all).not.toContain(part);
    }
    expect(all).not.toContain('PID-');
  });

  it('accepts RT and waveform objects and records them as not eligible, with the reason', async () => {
    for (const [modality, sopClassUid] of [
      ['RTDOSE', '1.2.840.10008.5.1.4.1.1.481.2'],
      ['ECG', '1.2.840.10008.5.1.4.1.1.9.1.1'],
    ] as const) {
      const study = syntheticStudy({ modality, bodyPart: 'CHEST', patientAge: '060Y', sopClassUid, rows: 8, columns: 8 });
      const outcome = await storescuAlone(study.files[0]!, sopClassUid, '1.2.840.10008.1.2', target());
      expect(outcome.status, outcome.output.slice(-300)).toBe(0);
      await waitFor(`routing of ${modality}`, () => received(study.studyInstanceUid).filter((e) => e.type === 'study.routed').length === 3);
      for (const routed of received(study.studyInstanceUid).filter((e) => e.type === 'study.routed')) {
        expect(routed).toMatchObject({ outcome: 'not_eligible', rule: 'modality', reason: expect.stringContaining(modality) });
      }
    }
  });

  it('refuses what STOW-RS refuses, with the same status and reason, and checks the command against the data set', async () => {
    const study = syntheticStudy({ modality: 'DX', bodyPart: 'HAND', patientAge: '009Y' });
    const dataSet = dataSetOf(study.files[0]!);
    const truncated = await rawCStore(port, DX, study.sopInstanceUids[0]!, dataSet.subarray(0, dataSet.length - 1000));
    expect(truncated).toEqual({ status: 0xc000, comment: 'truncated: PixelData has 7192 of 8192 bytes' });
    const other = await rawCStore(port, DX, '2.25.1234', dataSet);
    expect(other).toEqual({ status: 0xa900, comment: 'SOPInstanceUID differs from the C-STORE command' });
    const whole = await rawCStore(port, DX, study.sopInstanceUids[0]!, dataSet);
    expect(whole).toEqual({ status: 0, comment: '' });
  });

  /** Opens a raw connection and resolves with what the receiver sent once it closed. */
  function rawConnection(send: (socket: Socket) => void): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => send(socket));
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks)));
    });
  }

  it('closes the connection when the peer aborts, and aborts a peer that sends garbage or an oversized request', async () => {
    const afterAbort = await rawConnection((s) => {
      s.write(associateRequest());
      s.once('data', () => s.write(Buffer.from([7, 0, 0, 0, 0, 4, 0, 0, 0, 0])));
    });
    expect(afterAbort[0]).toBe(2); // it had accepted, then closed on the A-ABORT

    const garbage = await rawConnection((s) => s.write('GET / HTTP/1.1\r\nHost: aifi\r\n\r\n'));
    expect([...garbage]).toEqual([7, 0, 0, 0, 0, 4, 0, 0, 2, 1]);

    const announced = await rawConnection((s) => {
      s.write(Buffer.from([1, 0, 0x04, 0, 0, 0])); // an A-ASSOCIATE-RQ of 64 MiB
      s.write(Buffer.alloc(256 * 1024, 0x41));
    });
    expect([...announced]).toEqual([7, 0, 0, 0, 0, 4, 0, 0, 2, 6]);
    const reasons = logLines.map((l) => JSON.parse(l) as { msg: string; reason?: string }).filter((l) => l.msg === 'DICOM connection aborted').map((l) => l.reason);
    expect(reasons).toEqual(expect.arrayContaining(['not a DICOM PDU (type 0x47)', 'a PDU of 67108864 bytes, over the limit of 65536']));
  });

  it('logs only structured lines, and nothing to the console', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(logLines.join('\n')).not.toMatch(/PID-|Yamada|Hong\^|Test\^Patient/);
    expect(consoleCalls).not.toHaveBeenCalled();
  });
});
