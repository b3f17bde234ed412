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
    expect(aifi("migrate").out).toMatch(/applied 0001_events, 0002_lifecycle, 0003_analytics, 0004_drift_peak, 0005_turnaround_weekly, 0006_turnaround_studies, 0007_incremental, 0008_data_quality/);
    expect(aifi("migrate").out).toMatch(/schema already at version 8/);
    const q = aifi('query', 'SELECT count() AS n, {h:String} AS h FROM events', '--param', 'h=gelre', '--format', 'JSONEachRow');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.out)).toEqual({ n: 0, h: 'gelre' });
    const write = aifi('query', 'TRUNCATE TABLE events');
    expect(write.code).toBe(1);
    expect(write.err).toMatch(/readonly mode/);
  });

  it('prints the schema of a cluster, and runs it only on a server of one', () => {
    const printed = aifi('migrate', '--cluster', 'national', '--print');
    expect(printed.code).toBe(0);
    expect(printed.out).toContain("CREATE TABLE IF NOT EXISTS default.events_local ON CLUSTER 'national'");
    expect(printed.out).toContain("ENGINE = Distributed('national', 'default', 'events_local', cityHash64(hospital))");
    const noServer = aifi('migrate', '--cluster', 'national');
    expect(noServer.code).toBe(2);
    expect(noServer.err).toContain('set AIFI_CLICKHOUSE_URL');
    expect(aifi('migrate', '--cluster', "x'; DROP").err).toContain('--cluster takes the name of a cluster');
  });

  it('writes no file from a read-only query, in any variant of INTO OUTFILE', async () => {
    const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
    aifi('migrate');
    const fresh = `${dir.path}/fresh.txt`;
    const kept = `${dir.path}/kept.txt`;
    writeFileSync(kept, 'original\n');
    const attempts = [
      `SELECT 1 INTO OUTFILE '${fresh}'`,
      `SELECT 'chosen' INTO OUTFILE '${kept}' TRUNCATE`,
      `SELECT 'more' INTO /* a comment */ outfile '${kept}' APPEND`,
      `WITH x AS (SELECT 1) SELECT * FROM x INTO OUTFILE '${fresh}' AND STDOUT`,
      `(SELECT 1) UNION ALL (SELECT 2) INTO OUTFILE '${fresh}' FORMAT CSV`,
    ];
    for (const sql of attempts) {
      const result = aifi('query', sql);
      expect(result.code, sql).toBe(1);
      expect(result.err, sql).toMatch(/may not write to a file/);
    }
    expect(existsSync(fresh)).toBe(false);
    expect(readFileSync(kept, 'utf8')).toBe('original\n');
    const harmless = aifi('query', "SELECT 'into outfile' AS `into outfile`", '--format', 'TSV');
    expect(harmless.code).toBe(0);
    expect(harmless.out).toBe('into outfile\n');
  });

  it('bounds the rows a query reads, its time and its memory, as configured', () => {
    const run = (sql: string, env: Record<string, string>) =>
      spawnSync(process.execPath, ['bin/aifi.mjs', 'query', sql], { encoding: 'utf8', env: { ...process.env, AIFI_DATA_DIR: dir.path, ...env }, timeout: 60_000 });
    const rows = run('SELECT count() FROM numbers(1e11)', {});
    expect(rows.status).toBe(1);
    expect(rows.stderr).toMatch(/max_rows_to_read/);
    const time = run('SELECT count() FROM numbers(1e10) WHERE NOT ignore(sipHash64(number))', { AIFI_QUERY_MAX_SECONDS: '1' });
    expect(time.status).toBe(1);
    expect(time.stderr).toMatch(/TIMEOUT_EXCEEDED/);
    const memory = run('SELECT groupArray(number) FROM numbers(20000000)', { AIFI_QUERY_MAX_MEMORY_BYTES: String(16 * 1024 * 1024) });
    expect(memory.status).toBe(1);
    expect(memory.stderr).toMatch(/MEMORY_LIMIT_EXCEEDED|memory limit/i);
  });

  it('keeps the data folder and every file the embedded ClickHouse writes private to its user', async () => {
    const { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const data = join(dir.path, 'private');
    // As an earlier version left it: a readable folder with a readable file in it.
    mkdirSync(join(data, 'clickhouse'), { recursive: true, mode: 0o755 });
    chmodSync(data, 0o755);
    writeFileSync(join(data, 'clickhouse', 'left-over.txt'), 'x', { mode: 0o644 });
    const result = spawnSync(process.execPath, ['bin/aifi.mjs', 'migrate'], { encoding: 'utf8', env: { ...process.env, AIFI_DATA_DIR: data } });
    expect(result.status, result.stderr).toBe(0);
    const open: string[] = [];
    const walk = (path: string) => {
      const stat = statSync(path);
      if ((stat.mode & 0o077) !== 0) open.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
      if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(data);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(data, 'clickhouse')).length).toBeGreaterThan(2);
    expect(open).toEqual([]);
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
