import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';
import type { EventType } from '../events/index.ts';
import type { SenderScope } from './collector.ts';

/**
 * What each kind of sender may emit. A hospital's gateway tells what happened
 * to a result there (views, verdicts) and that it is alive; only the
 * orchestrator makes study and inference events, which move a vendor's
 * measured performance.
 */
export const SENDER_ROLES = {
  gateway: ['result.viewed', 'verdict.recorded', 'gateway.heartbeat', 'report.signed'],
  orchestrator: ['study.received', 'study.routed', 'inference.requested', 'inference.completed', 'inference.failed', 'result.delivered', 'result.viewed', 'verdict.recorded', 'report.signed'],
} as const satisfies Record<string, readonly EventType[]>;

export type SenderRole = keyof typeof SENDER_ROLES;

const tokensFile = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        /** Who holds the token, for logs. */
        name: z.string().min(1),
        /** SHA-256 of the token, hex: the token itself is never stored. */
        sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be the hex SHA-256 of the token' }),
        /** The only hospital this sender may send events of. */
        hospital: z.string().optional(),
        /** The only source this sender may send events from. */
        source: z.string().optional(),
        /** What the sender is, hence which event types it may send. */
        role: z.enum(Object.keys(SENDER_ROLES) as [SenderRole, ...SenderRole[]]),
      }).refine((t) => t.role !== 'gateway' || t.hospital !== undefined, { error: 'a gateway token must name its hospital', path: ['hospital'] }),
    )
    .min(1),
});

export interface Sender extends SenderScope {
  name: string;
  role: SenderRole;
}

export const sha256Hex = (token: string) => createHash('sha256').update(token).digest('hex');

/** The collector's senders, known by the SHA-256 of their bearer tokens. */
export class SenderTokens {
  private readonly byDigest: Map<string, Sender>;

  constructor(senders: Iterable<{ sha256: string; name: string; role: SenderRole; hospital?: string; source?: string }>) {
    this.byDigest = new Map([...senders].map(({ sha256, ...sender }) => [sha256, { ...sender, types: new Set(SENDER_ROLES[sender.role]) }]));
  }

  static fromFile(path: string | undefined): SenderTokens {
    return new SenderTokens(path ? readJsonFile(path, tokensFile, 'collector tokens file').tokens : []);
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The sender an `Authorization: Bearer …` header stands for, if any. */
  resolve(authorization: string | undefined): Sender | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m ? this.byDigest.get(sha256Hex(m[1]!)) : undefined;
  }
}
