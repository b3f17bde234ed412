import { createHmac } from 'node:crypto';

export type IdentifierKind = 'patient' | 'study' | 'accession' | 'user';

/**
 * Keyed hashes of identifiers (HMAC-SHA256 under a per-hospital key). The same
 * identifier gives the same pseudonym within a hospital, and an unrelated one
 * in another; without the key it cannot be reversed or confirmed.
 */
export class Pseudonymizer {
  private readonly keys: Map<string, Buffer>;

  constructor(keys: Map<string, string>) {
    this.keys = new Map([...keys].map(([hospital, hex]) => [hospital, Buffer.from(hex, 'hex')]));
  }

  pseudonym(hospital: string, kind: IdentifierKind, value: string): string {
    const key = this.keys.get(hospital);
    if (!key) throw new Error(`no pseudonymisation key for hospital ${hospital}`);
    return createHmac('sha256', key).update(`${kind}\u0000${value}`).digest('hex');
  }
}
