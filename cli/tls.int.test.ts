import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../collector/index.ts';
import { loadConfig } from '../config/index.ts';
import { needService, sampleStudyEvents, tempDir, waitFor } from '../testing/index.ts';
import { startStack, type Stack } from './index.ts';

const available = await needService('openssl (Debian openssl)', () => execFileSync('openssl', ['version']));

/** A CA, and certificates it signs, made with openssl in `dir` (SAN 127.0.0.1 for servers). */
function makePki(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`);
    return join(dir, `${name}.pem`);
  };
  const signed = (name: string, by: string, ext: string) => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.pem`, '-CAkey', `${by}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  };
  const platformCa = ca('platform-ca');
  const otherCa = ca('other-ca');
  return {
    platformCa,
    otherCa,
    collector: signed('collector', 'platform-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
    gateway: signed('gateway-zgt', 'platform-ca', 'extendedKeyUsage=clientAuth\n'),
    stranger: signed('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n'),
  };
}

describe.skipIf(!available)('a gateway sending to the central collector over HTTPS', () => {
  const dir = tempDir('tls');
  let pki: ReturnType<typeof makePki>;
  const stacks: Stack[] = [];
  const base = () => {
    const tokensFile = join(dir.path, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'orchestrator', sha256: sha256Hex('orchestrator-secret-123'), source: 'orchestrator', role: 'orchestrator' }] }));
    return { AIFI_LOG_LEVEL: 'silent', AIFI_COLLECTOR_TOKENS_FILE: tokensFile, AIFI_STUDY_QUIET_MS: '100' };
  };
  /** A collector on HTTPS (mutual TLS with `clientCa`), and a way to build gateways that send to it. */
  const collectorWith = async (name: string, clientCa?: string) => {
    const collector = await startStack(
      loadConfig({ ...base(), AIFI_DATA_DIR: join(dir.path, name), AIFI_TLS_CERT_FILE: pki.collector.cert, AIFI_TLS_KEY_FILE: pki.collector.key, ...(clientCa ? { AIFI_TLS_CLIENT_CA_FILE: clientCa } : {}) }),
      { role: 'collector', port: 0 },
    );
    stacks.push(collector);
    expect(collector.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const gateway = async (env: Record<string, string>) => {
      const stack = await startStack(
        loadConfig({ ...base(), AIFI_DATA_DIR: join(dir.path, `${name}-gw-${stacks.length}`), AIFI_COLLECTOR_URL: collector.url, AIFI_COLLECTOR_TOKEN: 'orchestrator-secret-123', ...env }),
        { role: 'orchestrator', port: 0, dicomPort: null },
      );
      stacks.push(stack);
      return stack.orchestrator!.emitter.sink;
    };
    const stored = async (studyKey: string) =>
      Number((await collector.store!.query<{ n: number }>('SELECT count() AS n FROM events WHERE study_key = {k:String}', { k: studyKey }))[0]!.n);
    return { collector, gateway, stored };
  };

  beforeAll(() => {
    pki = makePki(dir.path);
  });
  // One embedded engine per process at a time: each test's stacks close before the next starts.
  afterEach(async () => {
    for (const s of stacks.splice(0).reverse()) await s.close();
  });
  afterAll(() => dir.remove());

  it('refuses a collector whose certificate does not verify, and sends to one that does', async () => {
    const { gateway, stored } = await collectorWith('server-tls');
    const events = sampleStudyEvents(1);
    const studyKey = (events[0] as { study_key: string }).study_key;
    const misled = await gateway({ AIFI_COLLECTOR_CA_FILE: pki.otherCa });
    const refusal = (await misled.send(events).catch((e: unknown) => e)) as { message: string; retryable: boolean };
    expect(refusal).toMatchObject({ retryable: false });
    expect(refusal.message).toMatch(/refused over TLS: .*(self-signed|unable to verify|certificate)/i);
    // Without a CA of its own the gateway trusts only the system's CAs, which did not sign this one either.
    await expect((await gateway({})).send(events)).rejects.toThrow(/refused over TLS/);
    expect(await stored(studyKey)).toBe(0);

    await (await gateway({ AIFI_COLLECTOR_CA_FILE: pki.platformCa })).send(events);
    expect(await waitFor('the events stored', async () => (await stored(studyKey)) === events.length && true)).toBe(true);
  });

  it('with mutual TLS, refuses a gateway without a certificate or with one another CA signed', async () => {
    const { gateway, stored } = await collectorWith('mutual-tls', pki.platformCa);
    const events = sampleStudyEvents(2);
    const studyKey = (events[0] as { study_key: string }).study_key;
    await expect((await gateway({ AIFI_COLLECTOR_CA_FILE: pki.platformCa })).send(events)).rejects.toThrow(/collector at https:\/\/127\.0\.0\.1:\d+ /);
    const stranger = await gateway({ AIFI_COLLECTOR_CA_FILE: pki.platformCa, AIFI_COLLECTOR_CERT_FILE: pki.stranger.cert, AIFI_COLLECTOR_KEY_FILE: pki.stranger.key });
    await expect(stranger.send(events)).rejects.toThrow(/collector at https/);
    expect(await stored(studyKey)).toBe(0);

    const admitted = await gateway({ AIFI_COLLECTOR_CA_FILE: pki.platformCa, AIFI_COLLECTOR_CERT_FILE: pki.gateway.cert, AIFI_COLLECTOR_KEY_FILE: pki.gateway.key });
    await admitted.send(events);
    expect(await waitFor('the events stored', async () => (await stored(studyKey)) === events.length && true)).toBe(true);
  });

  it('names a contradiction in the TLS settings at start', () => {
    expect(() => loadConfig({ AIFI_TLS_CERT_FILE: pki.collector.cert })).toThrow(/HTTPS needs both the certificate and its key/);
    expect(() => loadConfig({ AIFI_TLS_CLIENT_CA_FILE: pki.platformCa })).toThrow(/mutual TLS needs HTTPS/);
    expect(() => loadConfig({ AIFI_COLLECTOR_URL: 'http://127.0.0.1:1', AIFI_COLLECTOR_TOKEN: 'x', AIFI_COLLECTOR_CA_FILE: pki.platformCa })).toThrow(/not an https URL/);
  });
});
