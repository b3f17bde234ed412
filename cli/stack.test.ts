import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { encodeMultipart, syntheticStudy } from '../orchestrator/index.ts';
import { EmbeddedStore } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { localCredentialFile } from './local-access.ts';
import { startStack } from './stack.ts';

const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function embedded(prefix: string, env: Record<string, string> = {}) {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent', ...env });
}

describe('the stack in one process', () => {
  it('closes in dependency order: a study still open at close is completed, dispatched, handed over and written before the store closes', async () => {
    // A study completes after a minute of quiet: only the close completes it.
    const config = embedded('stack-close', { AIFI_STUDY_QUIET_MS: '60000' });
    const stack = await startStack(config, { port: 0, dicomPort: null, hl7Port: null });
    const token = (JSON.parse(readFileSync(config.orchestrator.secretsFile, 'utf8')) as { hospitals: Record<string, { token: string }> }).hospitals.gelre!.token;
    const study = syntheticStudy({ modality: 'DX', bodyPart: 'WRIST', patientAge: '040Y' });
    const { body, contentType } = encodeMultipart(study.files.map((f) => ({ contentType: 'application/dicom', body: f })));
    const stowed = await fetch(`${stack.url}/dicomweb/studies`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
    expect(stowed.status).toBe(200);
    await stack.close();
    await expect(fetch(`${stack.url}/healthz`)).rejects.toThrow();
    expect(existsSync(localCredentialFile(config))).toBe(false);
    if (config.store.kind !== 'embedded') throw new Error('an embedded store was configured');
    const reopened = new EmbeddedStore({ path: config.store.path });
    try {
      const kept = await reopened.query<{ type: string; n: number }>("SELECT type, count() AS n FROM events WHERE hospital = 'gelre' GROUP BY type ORDER BY type");
      // The orchestrator closed first (the study completed, its job ran to the end with the vendor still up), then
      // the collector wrote what it was handed, then the store closed.
      expect(kept.map((k) => k.type)).toEqual(['inference.completed', 'inference.requested', 'result.delivered', 'study.received', 'study.routed']);
      expect(kept.find((k) => k.type === 'study.received')!.n).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('closes what it had opened when the start fails partway', async () => {
    const config = embedded('stack-failed', { AIFI_VENDOR_URLS: 'nosuchproduct=http://127.0.0.1:9' });
    await expect(startStack(config, { port: 0, dicomPort: null, hl7Port: null })).rejects.toThrow(/AIFI_VENDOR_URLS names unknown products: nosuchproduct/);
    // The store was opened and served to local commands before the orchestrator failed: both are released.
    expect(existsSync(localCredentialFile(config))).toBe(false);
    if (config.store.kind !== 'embedded') throw new Error('an embedded store was configured');
    const reopened = new EmbeddedStore({ path: config.store.path });
    expect(await reopened.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await reopened.close();
  });
});
