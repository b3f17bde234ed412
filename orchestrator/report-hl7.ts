import { createServer, type Server, type Socket } from 'node:net';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Connection } from '@medplum/hl7';
import type { FastifyBaseLogger } from 'fastify';
import { dicomDtToIso } from './dicom-time.ts';
import type { Hospital } from './hospitals.ts';
import { reportsReceived } from './metrics.ts';
import { ReportNotKept, ReportRejected, type ReportIntake, type RisReport } from './report-intake.ts';

/**
 * Radiology reports by HL7 v2 over MLLP: ORU^R01 (and the status updates a RIS
 * sends as ORU^R01 too: preliminary, final, corrected). Parsed with Medplum's
 * HL7 v2 library; the listener is our own `net` server on the configured host
 * (the library's binds every interface), each socket wrapped in the library's
 * MLLP connection.
 *
 * What is read: MSH-4 the sending facility (the hospital: its id or one of its
 * `risFacilities`), MSH-10 the control id (a repeat is the same event),
 * OBR-18 the accession number (IHE; OBR-3 when OBR-18 is empty), OBR-25 the
 * result status (P preliminary, F final, C corrected = amended), OBR-22 the
 * time of that status (MSH-7 when empty; local time in the hospital's zone
 * unless it carries an offset), OBR-32 the reader's id and, from an OBX of type
 * CE or CWE, a coded finding: OBX-3 the finding's SNOMED CT code, OBX-5 Y/N
 * (or POS/NEG, or SNOMED 52101004 present / 2667000 absent). Text (OBX of type
 * TX, FT, ST) and names are never read into anything that leaves.
 *
 * The answer: AA once the event is stored or durably queued; AE with the
 * reason for a report whose content is wrong; AR for a message that is not an
 * ORU^R01 from a known facility, cannot be parsed, or cannot be kept now (the
 * RIS resends it, and a repeat is stored once).
 */

type AckCode = 'AA' | 'AE' | 'AR';

/** A message refused whole, with the HL7 error code (table 0357) and where. */
class Hl7Refusal extends Error {
  constructor(
    readonly ack: Exclude<AckCode, 'AA'>,
    readonly code: '100' | '101' | '102' | '200' | '204' | '207',
    readonly location: string,
    reason: string,
  ) {
    super(reason);
  }
}

const ERROR_TEXT = { '100': 'Segment sequence error', '101': 'Required field missing', '102': 'Data type error', '200': 'Unsupported message type', '204': 'Unknown key identifier', '207': 'Application internal error' } as const;

/** Text safe inside an HL7 field: no delimiters, no control characters, bounded. */
const safe = (text: string) => text.replace(/[|^~\\&\r\n\u0000-\u001f]/g, ' ').slice(0, 200);

const STATUS: Record<string, RisReport['status']> = { P: 'preliminary', A: 'preliminary', F: 'final', C: 'amended' };
const PRESENT = new Set(['Y', 'YES', 'POS', 'POSITIVE', 'PRESENT', '52101004', 'TRUE']);
const ABSENT = new Set(['N', 'NO', 'NEG', 'NEGATIVE', 'ABSENT', '2667000', 'FALSE']);

/** The report an ORU^R01 carries, for the hospital it comes from; throws Hl7Refusal naming what is wrong. */
export function reportOfMessage(message: Hl7Message, hospitalOf: (facility: string) => Hospital | undefined): { hospital: Hospital; report: RisReport } {
  const msh = message.getSegment('MSH');
  if (!msh) throw new Hl7Refusal('AR', '100', 'MSH', 'the message does not start with an MSH segment');
  const type = `${msh.getComponent(9, 1)}^${msh.getComponent(9, 2)}`;
  if (type !== 'ORU^R01') throw new Hl7Refusal('AR', '200', 'MSH^1^9', `unsupported message type ${safe(type)}: this receiver takes ORU^R01 reports`);
  const controlId = msh.getField(10)?.toString().trim() ?? '';
  if (!controlId) throw new Hl7Refusal('AR', '101', 'MSH^1^10', 'MSH-10 (message control id) is missing');
  const facility = msh.getComponent(4, 1).trim();
  const hospital = hospitalOf(facility);
  if (!hospital) throw new Hl7Refusal('AR', '204', 'MSH^1^4', `unknown sending facility ${safe(facility) || '(empty)'}: not a hospital of the hospitals file`);
  const obr = message.getSegment('OBR');
  if (!obr) throw new Hl7Refusal('AE', '100', 'OBR', 'the ORU^R01 has no OBR segment');
  const accession = obr.getComponent(18, 1).trim() || obr.getComponent(3, 1).trim();
  if (!accession) throw new Hl7Refusal('AE', '101', 'OBR^1^18', 'the accession number is missing (OBR-18, or OBR-3)');
  const statusCode = obr.getComponent(25, 1).trim().toUpperCase();
  const status = STATUS[statusCode];
  if (!status) throw new Hl7Refusal('AE', '102', 'OBR^1^25', `result status ${safe(statusCode) || '(empty)'} is not P, A, F or C`);
  const time = obr.getComponent(22, 1).trim() || msh.getComponent(7, 1).trim();
  const at = time ? dicomDtToIso(time, hospital.timeZone) : null;
  if (!at) throw new Hl7Refusal('AE', '102', 'OBR^1^22', `the status time ${safe(time) || '(empty)'} is not an HL7 time YYYYMMDDHHMM[SS[.S]][+ZZZZ]`);
  const readerId = obr.getComponent(32, 1, 0).trim();
  let finding: RisReport['finding'];
  for (const obx of message.getAllSegments('OBX')) {
    const valueType = obx.getComponent(2, 1).trim().toUpperCase();
    if (valueType !== 'CE' && valueType !== 'CWE') continue;
    const value = obx.getComponent(5, 1).trim().toUpperCase();
    const present = PRESENT.has(value) ? true : ABSENT.has(value) ? false : undefined;
    if (present === undefined) throw new Hl7Refusal('AE', '102', 'OBX^1^5', `coded finding value ${safe(value) || '(empty)'} is not Y or N (POS/NEG, 52101004/2667000)`);
    finding = { code: obx.getComponent(3, 1).trim(), present };
  }
  return { hospital, report: { idempotencyKey: `hl7|${controlId}`, accessionNumber: accession, status, at, ...(readerId ? { readerId } : {}), ...(finding ? { finding } : {}) } };
}

/** The ACK of a message: MSA-1 the code, MSA-3 the reason, and an ERR segment naming the field (HL7 2.5). */
export function acknowledgement(message: Hl7Message | undefined, code: AckCode, refusal?: Hl7Refusal): Hl7Message {
  const base =
    message?.getSegment('MSH') !== undefined
      ? message.buildAck({ ackCode: code })
      : Hl7Message.parse(`MSH|^~\\&|AIFI|AIFI|||${hl7Now()}||ACK|${Date.now()}|P|2.5\rMSA|${code}|`);
  if (!refusal) return base;
  base.getSegment('MSA')!.setField(3, safe(refusal.message));
  const err = new Hl7Segment(['ERR', '', refusal.location, `${refusal.code}^${ERROR_TEXT[refusal.code]}^HL70357`, 'E', '', '', '', safe(refusal.message)], base.context);
  return new Hl7Message([...base.segments, err], base.context);
}

/** The largest message taken: a frame not ended by then is refused and the connection closed (a report is a few kB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const hl7Now = () => new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);

export interface Hl7ListenerOptions {
  intake: ReportIntake;
  host: string;
  port: number;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
}

export interface Hl7Listener {
  port: number;
  close: () => Promise<void>;
}

/** Answers one message: the ACK, once the report is kept (or why not). */
export async function answer(intake: ReportIntake, message: Hl7Message): Promise<Hl7Message> {
  let parsed;
  try {
    parsed = reportOfMessage(message, (f) => intake.hospitalOfFacility(f));
  } catch (error) {
    if (error instanceof Hl7Refusal) {
      reportsReceived.inc({ channel: 'hl7', outcome: error.ack });
      return acknowledgement(message, error.ack, error);
    }
    throw error;
  }
  try {
    await intake.receive(parsed.hospital, parsed.report);
  } catch (error) {
    const refusal =
      error instanceof ReportRejected
        ? new Hl7Refusal('AE', '207', error.field, error.message)
        : error instanceof ReportNotKept
          ? new Hl7Refusal('AR', '207', 'MSH^1^10', error.message)
          : undefined;
    if (!refusal) throw error;
    reportsReceived.inc({ channel: 'hl7', outcome: refusal.ack });
    return acknowledgement(message, refusal.ack, refusal);
  }
  reportsReceived.inc({ channel: 'hl7', outcome: 'AA' });
  return acknowledgement(message, 'AA');
}

/** Starts the MLLP listener on `host:port` (port 0: any free one). */
export async function startHl7Listener(options: Hl7ListenerOptions): Promise<Hl7Listener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Bounded: the library buffers a frame until its end, so a frame that does not end is cut off here.
    let unframed = 0;
    socket.on('data', (chunk: Buffer) => {
      unframed = chunk.at(-2) === 0x1c && chunk.at(-1) === 0x0d ? 0 : unframed + chunk.length;
      if (unframed <= MAX_MESSAGE_BYTES || socket.destroyed) return;
      reportsReceived.inc({ channel: 'hl7', outcome: 'AR' });
      connection.send(acknowledgement(undefined, 'AR', new Hl7Refusal('AR', '100', 'MSH', `a message over ${MAX_MESSAGE_BYTES} bytes: refused, and the connection closed`)));
      socket.end();
      socket.destroy();
    });
    const connection = new Hl7Connection(socket);
    // One message at a time per connection, answered in order.
    let queue = Promise.resolve();
    connection.addEventListener('message', (event) => {
      queue = queue.then(async () => {
        try {
          connection.send(await answer(options.intake, event.message));
        } catch (error) {
          options.log.error({ err: error }, 'an HL7 message could not be answered');
          connection.send(acknowledgement(event.message, 'AR', new Hl7Refusal('AR', '207', 'MSH', 'internal error; resend later')));
        }
      });
    });
    connection.addEventListener('error', (event) => {
      // A frame that does not parse as HL7 v2: refused, with the reason.
      options.log.warn({ err: event.error }, 'an HL7 message could not be parsed');
      reportsReceived.inc({ channel: 'hl7', outcome: 'AR' });
      if (!socket.destroyed) connection.send(acknowledgement(undefined, 'AR', new Hl7Refusal('AR', '100', 'MSH', `the message could not be parsed as HL7 v2: ${event.error.message}`)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.log.info({ host: options.host, port }, 'HL7 v2 (MLLP) report receiver listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
