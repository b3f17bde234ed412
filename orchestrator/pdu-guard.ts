/**
 * A check of the DICOM upper layer framing (PS3.8 9.3) of what a peer sends,
 * before dcmjs-dimse buffers it: every PDU starts with a type (1-7), a
 * reserved byte and a 32-bit big-endian length. The guard bounds what a peer
 * may announce, above all before its association is accepted, and says when a
 * connection must be aborted (garbage, an oversized or unexpected PDU) or
 * closed (the peer aborted).
 */

export const PDU = { associateRq: 1, associateAc: 2, associateRj: 3, pData: 4, releaseRq: 5, releaseRp: 6, abort: 7 } as const;

export interface PduLimits {
  /** Largest A-ASSOCIATE-RQ accepted (real ones are a few KiB). */
  associateRequestBytes: number;
  /** Largest P-DATA-TF PDU accepted once the association is accepted. */
  dataBytes: number;
}

export type Inspection = { types: number[] } | { violation: string; reason: AbortReason };

/** A-ABORT reasons of the service provider (PS3.8 table 9-26). */
export type AbortReason = 1 | 2 | 6;

export class PduGuard {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private seen = 0;
  private accepted = false;

  constructor(private readonly limits: PduLimits) {}

  /** Called when our A-ASSOCIATE-AC has been sent: data may follow. */
  markAccepted(): void {
    this.accepted = true;
  }

  inspect(chunk: Buffer): Inspection {
    const types: number[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - at);
        this.remaining -= skip;
        at += skip;
        continue;
      }
      const need = 6 - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + need)]);
      at += Math.min(need, chunk.length - at);
      if (this.header.length < 6) break;
      const type = this.header[0]!;
      const length = this.header.readUInt32BE(2);
      this.header = Buffer.alloc(0);
      const problem = this.check(type, length);
      if (problem) return problem;
      this.seen++;
      this.remaining = length;
      types.push(type);
    }
    return { types };
  }

  private check(type: number, length: number): Exclude<Inspection, { types: number[] }> | null {
    if (type < 1 || type > 7) return { violation: `not a DICOM PDU (type 0x${type.toString(16).padStart(2, '0')})`, reason: 1 };
    if (this.seen === 0 && type !== PDU.associateRq) return { violation: 'the first PDU is not an association request', reason: 2 };
    if (this.seen > 0 && type === PDU.associateRq) return { violation: 'a second association request on one connection', reason: 2 };
    if (type === PDU.pData && !this.accepted) return { violation: 'data before the association was accepted', reason: 2 };
    const limit = type === PDU.pData ? this.limits.dataBytes : this.limits.associateRequestBytes;
    if (length > limit) return { violation: `a PDU of ${length} bytes, over the limit of ${limit}`, reason: 6 };
    return null;
  }
}

/** An A-ABORT PDU from the service provider with the given reason. */
export function abortPdu(reason: AbortReason | 0): Buffer {
  return Buffer.from([PDU.abort, 0, 0, 0, 0, 4, 0, 0, 2, reason]);
}
