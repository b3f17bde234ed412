import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startProcess, tempDir, waitFor } from '../testing/index.ts';
import { aifiHere } from './aifi-here.ts';

const run = promisify(execFile);

/** Runs `aifi …` in another process, as a user does; resolves with its exit code and output. */
async function aifiSpawned(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/aifi.mjs', ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('aifi query and aifi report while aifi up runs', () => {
  /** `aifi …` in this process, with the test's environment; the same fields as aifiSpawned's. */
  const aifi = async (args: string[], env: NodeJS.ProcessEnv) => {
    const { code, out, err } = await aifiHere(args, { ...env, AIFI_CLICKHOUSE_URL: env.AIFI_CLICKHOUSE_URL });
    return { code, stdout: out, stderr: err };
  };

  it('are answered by the running process, read-only and bounded, with the report it gives after stopping', { timeout: 420_000 }, async () => {
    const dir = tempDir('local-access');
    const env: NodeJS.ProcessEnv = { ...process.env, AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent', AIFI_QUERY_MAX_ROWS: '5000000' };
    delete env.AIFI_CLICKHOUSE_URL;
    const up = startProcess(process.execPath, ['bin/aifi.mjs', 'up', '--port', '0', '--dicom-port', '0', '--weeks', '1', '--seed', '4'], { env });
    const credentialFile = join(dir.path, 'local-access.json');
    try {
      await waitFor(
        'the first analytics run of aifi up',
        () => {
          if (up.child.exitCode !== null) throw new Error(`aifi up exited: ${up.output().slice(-2000)}`);
          return /analytics: adoption_weekly \d+/.test(up.output());
        },
        180_000,
        250,
      );
      expect(statSync(credentialFile).mode & 0o777).toBe(0o600);
      const credential = JSON.parse(readFileSync(credentialFile, 'utf8')) as { url: string; token: string; pid: number };
      expect(credential.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(credential.pid).toBe(up.child.pid);

      // The first as a user runs it; the others in this process (a client process of its own each would check nothing more).
      const whileRunning = await aifiSpawned(['report', '--format', 'json'], env);
      expect(whileRunning.code, whileRunning.stderr).toBe(0);
      const report = JSON.parse(whileRunning.stdout) as Record<string, unknown[]>;
      expect(report.adoption!.length).toBeGreaterThan(0);
      expect(report.turnaround!.length).toBeGreaterThan(0);
      const vendor = await aifi(['report', '--audience', 'vendor:radiobotics', '--format', 'json'], env);
      expect(vendor.code, vendor.stderr).toBe(0);
      const vendorRows = Object.values(JSON.parse(vendor.stdout) as Record<string, unknown>).flatMap((v) => (Array.isArray(v) ? (v as { product?: string }[]) : []));
      expect(vendorRows.length).toBeGreaterThan(0);
      expect(new Set(vendorRows.map((r) => r.product))).toEqual(new Set(['rbfracture']));

      // A query: the backfill's events, counted by the running process.
      const count = await aifi(['query', "SELECT count() FROM events WHERE source = 'simulator-backfill'", '--format', 'TSV'], env);
      expect(count.code, count.stderr).toBe(0);
      expect(Number(count.stdout.trim())).toBeGreaterThan(1000);
      const bound = await aifi(['query', 'SELECT type, count() AS n FROM events WHERE hospital = {h:String} GROUP BY type ORDER BY type', '--param', 'h=gelre', '--format', 'JSONEachRow'], env);
      expect(bound.code, bound.stderr).toBe(0);
      expect(bound.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)).toContain('study.received');

      // Read-only: no write, no file output, no settings of its own, and within AIFI_QUERY_MAX_ROWS of the running process.
      const refusals: [string, RegExp][] = [
        ["INSERT INTO events (event_id) VALUES ('x')", /only a SELECT/],
        ['DROP TABLE events', /only a SELECT/],
        ["SELECT 1 INTO OUTFILE '/tmp/aifi-leak.csv'", /INTO OUTFILE is refused/],
        ["SELECT * FROM file('/etc/hostname', LineAsString) SETTINGS readonly = 0", /may not carry SETTINGS/],
        ["SELECT * FROM (SELECT * FROM file('/etc/hostname', LineAsString) SETTINGS readonly = 0)", /may not carry SETTINGS/],
        ["SELECT * FROM file('/etc/hostname', LineAsString)", /readonly mode/i],
        ['SELECT sum(number) FROM numbers(10000000)', /Limit for rows/],
        ['SELECT 1; DROP TABLE events', /Syntax error/i],
        ['SELECT 1) UNION ALL (SELECT 2', /Syntax error/i],
      ];
      // Through the route the command uses (one command shows how it reports a refusal).
      const ask = (sql: string) =>
        fetch(`${credential.url}/local/query`, { method: 'POST', body: JSON.stringify({ sql, format: 'TSV', params: {} }), headers: { 'content-type': 'application/json', authorization: `Bearer ${credential.token}` } });
      for (const [sql, message] of refusals) {
        const refused = await ask(sql);
        expect(refused.status, sql).toBe(422);
        expect(((await refused.json()) as { error: string }).error, sql).toMatch(message);
      }
      const refused = await aifi(['query', refusals[0]![0]], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(refusals[0]![1]);
      expect(existsSync('/tmp/aifi-leak.csv')).toBe(false);
      expect(await (await ask("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events'")).text()).toBe('1\n');

      // The route admits only the credential's token.
      const wrong = await fetch(`${credential.url}/local/report`, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
      const none = await fetch(`${credential.url}/local/query`, { method: 'POST', body: JSON.stringify({ sql: 'SELECT 1', format: 'TSV', params: {} }), headers: { 'content-type': 'application/json' } });
      expect(none.status).toBe(401);

      // Stopped by its pid, given the time it takes to finish open studies (stop() would kill it after 10 s).
      const exited = new Promise<number | null>((resolve) => up.child.once('exit', (code) => resolve(code)));
      process.kill(up.child.pid!, 'SIGTERM');
      expect(await exited, up.output().slice(-2000)).toBe(0);
      expect(existsSync(credentialFile)).toBe(false);

      // Stopped: the store opened directly gives the same report.
      const afterStop = await aifi(['report', '--format', 'json'], env);
      expect(afterStop.code, afterStop.stderr).toBe(0);
      expect(afterStop.stdout).toBe(whileRunning.stdout);
      const countAfter = await aifi(['query', "SELECT count() FROM events WHERE source = 'simulator-backfill'", '--format', 'TSV'], env);
      expect(countAfter.stdout).toBe(count.stdout);
    } finally {
      await up.stop();
      dir.remove();
    }
  });
});
