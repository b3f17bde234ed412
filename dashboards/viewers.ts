import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';
import { parseAudience, type Audience } from '../analytics/index.ts';
import { VENDOR_IDS } from '../events/index.ts';

const audience = z.string().transform((text, ctx) => {
  try {
    return parseAudience(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const viewersFile = z.strictObject({
  viewers: z
    .array(
      z
        .strictObject({
          /** Who holds the token, for logs. */
          name: z.string().min(1),
          audience,
          /** SHA-256 of the token, hex: what a shared deployment stores. */
          sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be the hex SHA-256 of the token' }).optional(),
          /** The token itself: only in the file generated for the embedded mode (mode 0600). */
          token: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
        })
        .refine((v) => (v.sha256 === undefined) !== (v.token === undefined), { error: 'give either sha256 or token' }),
    )
    .min(1),
});

export interface Viewer {
  name: string;
  audience: Audience;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/** The viewers of the built-in dashboard view, known by their bearer tokens. */
export class ViewerTokens {
  private readonly viewers: { digest: Buffer; viewer: Viewer; token?: string }[];

  constructor(entries: z.input<typeof viewersFile>['viewers']) {
    this.viewers = viewersFile.parse({ viewers: entries }).viewers.map((v) => ({
      digest: v.sha256 ? Buffer.from(v.sha256, 'hex') : digest(v.token!),
      viewer: { name: v.name, audience: v.audience },
      ...(v.token ? { token: v.token } : {}),
    }));
  }

  /** The token of an audience where the file holds tokens themselves (the generated file), to print a link with. */
  tokenOf(audience: Audience): string | undefined {
    return this.viewers.find((v) => v.viewer.audience === audience && v.token)?.token;
  }

  static fromFile(path: string): ViewerTokens {
    return new ViewerTokens(readJsonFile(path, viewersFile, 'viewer tokens file').viewers);
  }

  /**
   * The default file of the embedded mode: made on first start with one token
   * per audience (mode 0600, beside the hospital secrets), read afterwards.
   */
  static ensureFile(path: string): ViewerTokens {
    if (!existsSync(path)) {
      const audiences: Audience[] = ['all', 'lead', 'ops', ...VENDOR_IDS.map((v) => `vendor:${v}` as const)];
      const viewers = audiences.map((a) => ({ name: a === 'all' ? 'everyone' : a, audience: a, token: randomBytes(24).toString('base64url') }));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify({ viewers }, null, 2) + '\n', { mode: 0o600 });
    }
    return ViewerTokens.fromFile(path);
  }

  /** The viewer a token stands for, if any (compared in constant time). */
  resolve(token: string | undefined): Viewer | undefined {
    if (!token) return undefined;
    const d = digest(token);
    return this.viewers.find((v) => timingSafeEqual(v.digest, d))?.viewer;
  }
}

/** Whether `viewer` may see a dashboard meant for `target`: 'all' sees everything, others only their own. */
export function mayView(viewer: Viewer, target: Audience): boolean {
  return viewer.audience === 'all' || viewer.audience === target;
}
