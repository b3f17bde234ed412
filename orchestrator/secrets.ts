import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../config/index.ts';

const hospitalSecrets = z.strictObject({
  /** HMAC-SHA256 key for this hospital's pseudonyms: 32 bytes, hex. */
  pseudonym_key: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 hex characters (32 bytes)' }),
  /** Bearer token with which this hospital's gateway sends studies (STOW-RS). */
  token: z.string().min(24, { error: 'must be at least 24 characters' }),
});
const secretsFile = z.strictObject({ hospitals: z.record(z.string(), hospitalSecrets) });

export type HospitalSecrets = z.infer<typeof hospitalSecrets>;

/**
 * Per-hospital secrets from a JSON file kept out of version control. Hospitals
 * without secrets get fresh random ones, written back with mode 0600, so that
 * the embedded mode works untouched and pseudonyms stay stable across restarts.
 */
export function loadSecrets(path: string, hospitalIds: readonly string[]): Map<string, HospitalSecrets> {
  let file: z.infer<typeof secretsFile> = { hospitals: {} };
  if (existsSync(path)) {
    file = readJsonFile(path, secretsFile, 'secrets file');
  }
  const missing = hospitalIds.filter((id) => !file.hospitals[id]);
  if (missing.length > 0) {
    for (const id of missing) {
      file.hospitals[id] = { pseudonym_key: randomBytes(32).toString('hex'), token: randomBytes(24).toString('base64url') };
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  }
  return new Map(hospitalIds.map((id) => [id, file.hospitals[id]!]));
}
