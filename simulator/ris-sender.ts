import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { FINDING_CONCEPTS, type FindingConcept } from '../events/index.ts';

export interface OruFields {
  /** MSH-4: the hospital's id (or one of its risFacilities). */
  facility: string;
  /** MSH-10. */
  controlId: string;
  accession: string;
  status: 'preliminary' | 'final' | 'amended';
  at: number;
  readerId?: string;
  readerName?: string;
  finding?: { concept: FindingConcept; finding: 'positive' | 'negative' };
  /** The report's text (an OBX of type TX): what must never leave the orchestrator. */
  text?: string;
  patientName?: string;
}

const hl7Time = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.(\d{3})Z$/, '.$1+0000');
const STATUS = { preliminary: 'P', final: 'F', amended: 'C' } as const;

/** An ORU^R01 as a RIS sends it (HL7 2.5, segments joined by \r). */
export function oruMessage(f: OruFields): string {
  const at = hl7Time(f.at);
  const segments = [
    `MSH|^~\\&|RIS|${f.facility}|AIFI|AIFI|${at}||ORU^R01^ORU_R01|${f.controlId}|P|2.5`,
    `PID|1||SIM-${f.accession}^^^RIS^MR||${f.patientName ?? 'Sim^Patient'}`,
    `OBR|1||${f.accession}|RAD^Radiology report|||${at}|||||||||||${f.accession}||||${at}|||${STATUS[f.status]}|||||||${f.readerId ?? ''}${f.readerName ? `&${f.readerName}` : ''}`,
  ];
  let n = 1;
  if (f.text) segments.push(`OBX|${n++}|TX|REPORT^Report text||${f.text}||||||${STATUS[f.status]}`);
  if (f.finding) {
    const c = FINDING_CONCEPTS[f.finding.concept];
    segments.push(`OBX|${n++}|CWE|${c.snomed}^${c.display}^SCT||${f.finding.finding === 'positive' ? 'Y' : 'N'}||||||${STATUS[f.status]}`);
  }
  return segments.join('\r');
}

/**
 * The RIS as a sender over MLLP, with Medplum's HL7 client: one connection,
 * a message at a time, each waiting for its ACK. Resolves with the ACK code
 * and text (MSA-1, MSA-3).
 */
export class RisSender {
  private readonly client: Hl7Client;
  /** The message before: the next one goes only once it is answered (or failed). */
  private last: Promise<unknown> = Promise.resolve();

  constructor(host: string, port: number) {
    this.client = new Hl7Client({ host, port, connectTimeout: 10_000 });
  }

  send(message: string): Promise<{ code: string; text: string }> {
    const sent = this.last.then(async () => {
      const ack = await this.client.sendAndWait(Hl7Message.parse(message), { timeoutMs: 30_000 });
      const msa = ack.getSegment('MSA');
      return { code: msa?.getField(1)?.toString() ?? '', text: msa?.getField(3)?.toString() ?? '' };
    });
    this.last = sent.catch(() => undefined);
    return sent;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
