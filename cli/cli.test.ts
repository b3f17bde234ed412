import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEvent, EVENT_TYPES } from '../events/index.ts';
import { tempDir } from '../testing/index.ts';

const dir = tempDir('cli');
afterAll(() => dir.remove());

function aifi(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/aifi.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, AIFI_DATA_DIR: dir.path },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('the aifi command', () => {
  it('prints a valid example of every event type', () => {
    for (const type of EVENT_TYPES) {
      const { code, out } = aifi('events', 'example', type);
      expect(code).toBe(0);
      expect(checkEvent(JSON.parse(out)).ok).toBe(true);
    }
    const bad = aifi('events', 'example', 'study.deleted');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('one of: study.received');
  });

  it('prints the JSON Schema', () => {
    const { code, out } = aifi('events', 'schema');
    expect(code).toBe(0);
    expect(JSON.parse(out).oneOf).toHaveLength(EVENT_TYPES.length);
  });

  it('migrates, and queries read-only with bound parameters in any format', () => {
    expect(aifi("migrate").out).toMatch(/applied 0001_events, 0002_lifecycle, 0003_analytics, 0004_drift_peak, 0005_turnaround_weekly, 0006_turnaround_studies, 0007_incremental/);
    expect(aifi("migrate").out).toMatch(/schema already at version 7/);
    const q = aifi('query', 'SELECT count() AS n, {h:String} AS h FROM events', '--param', 'h=gelre', '--format', 'JSONEachRow');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.out)).toEqual({ n: 0, h: 'gelre' });
    const write = aifi('query', 'TRUNCATE TABLE events');
    expect(write.code).toBe(1);
    expect(write.err).toMatch(/readonly mode/);
  });

  it('answers a bad call with usage and a bad configuration with its reason', () => {
    expect(aifi('frobnicate').code).toBe(2);
    const result = spawnSync(process.execPath, ['bin/aifi.mjs', 'migrate'], { encoding: 'utf8', env: { ...process.env, AIFI_PORT: '-1' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('AIFI_PORT');
  });

  it('refuses to start on a bad viewer tokens file, naming each problem without a stack trace', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = `${dir.path}/viewers.json`;
    writeFileSync(file, JSON.stringify({ viewers: [{ name: 'x', audience: 'vendor:nobody', token: 'short' }] }));
    const result = spawnSync(process.execPath, ['bin/aifi.mjs', 'up', '--no-simulate', '--port', '0', '--dicom-port', '0'], {
      encoding: 'utf8',
      env: { ...process.env, AIFI_DATA_DIR: dir.path, AIFI_VIEWER_TOKENS_FILE: file, AIFI_LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`invalid viewer tokens file ${file}`);
    expect(result.stderr).toMatch(/viewers\.0\.audience: unknown audience "vendor:nobody"/);
    expect(result.stderr).toMatch(/viewers\.0\.token: must be at least 16 characters/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
