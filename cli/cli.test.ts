import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEvent, EVENT_TYPES } from '../events/index.ts';
import { tempDir } from '../testing/index.ts';
import { aifiHere } from './aifi-here.ts';

const dir = tempDir('cli');
afterAll(() => dir.remove());

/** The command as a user runs it, a process of its own: for what only a process shows (bin/aifi.mjs, its exit code, a refusal to start). */
function aifiSpawned(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/aifi.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, AIFI_DATA_DIR: dir.path },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** The command in this process, on the test's data folder: its output, its errors and its exit code, as a process prints them. */
const aifi = (...args: string[]) => aifiHere(args, { AIFI_DATA_DIR: dir.path });

describe('the aifi command', () => {
  it('prints a valid example of every event type', async () => {
    for (const type of EVENT_TYPES) {
      const { code, out } = await aifi('events', 'example', type);
      expect(code).toBe(0);
      expect(checkEvent(JSON.parse(out)).ok).toBe(true);
    }
    // The command as a user runs it, once.
    const spawned = aifiSpawned('events', 'example', EVENT_TYPES[0]);
    expect(spawned.code).toBe(0);
    expect(checkEvent(JSON.parse(spawned.out)).ok).toBe(true);
    const bad = await aifi('events', 'example', 'study.deleted');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('one of: study.received');
  });

  it('prints the JSON Schema', async () => {
    const { code, out } = await aifi('events', 'schema');
    expect(code).toBe(0);
    expect(JSON.parse(out).oneOf).toHaveLength(EVENT_TYPES.length);
  });

  it('migrates, and queries read-only with bound parameters in any format', async () => {
    expect((await aifi('migrate')).out).toMatch(/applied 0001_events, 0002_lifecycle, 0003_analytics, 0004_drift_peak, 0005_turnaround_weekly, 0006_turnaround_studies, 0007_incremental, 0008_data_quality, 0009_lifecycle_events, 0010_drift_episodes, 0011_cost, 0012_reports, 0014_implausible_durations, 0015_benefit_cells, 0016_label_free_checkpoints, 0017_point_lookup_granules, 0018_drift_charts, 0019_pacs_forms, 0020_timing_cells/);
    expect((await aifi('migrate')).out).toMatch(/schema already at version 20/);
    const q = await aifi('query', 'SELECT count() AS n, {h:String} AS h FROM events', '--param', 'h=gelre', '--format', 'JSONEachRow');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.out)).toEqual({ n: 0, h: 'gelre' });
    const write = await aifi('query', 'TRUNCATE TABLE events');
    expect(write.code).toBe(1);
    expect(write.err).toMatch(/readonly mode/);
  });

  it('prints the schema of a cluster, and runs it only on a server of one', async () => {
    const printed = await aifi('migrate', '--cluster', 'national', '--print');
    expect(printed.code).toBe(0);
    expect(printed.out).toContain("CREATE TABLE IF NOT EXISTS default.events_local ON CLUSTER 'national'");
    expect(printed.out).toContain("ENGINE = Distributed('national', 'default', 'events_local', cityHash64(hospital))");
    const noServer = await aifi('migrate', '--cluster', 'national');
    expect(noServer.code).toBe(2);
    expect(noServer.err).toContain('set AIFI_CLICKHOUSE_URL');
    expect((await aifi('migrate', '--cluster', "x'; DROP")).err).toContain('--cluster takes the name of a cluster');
  });

  it('writes no file from a read-only query, in any variant of INTO OUTFILE', async () => {
    const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
    await aifi('migrate');
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
      const result = await aifi('query', sql);
      expect(result.code, sql).toBe(1);
      expect(result.err, sql).toMatch(/may not write to a file/);
    }
    expect(existsSync(fresh)).toBe(false);
    expect(readFileSync(kept, 'utf8')).toBe('original\n');
    const harmless = await aifi('query', "SELECT 'into outfile' AS `into outfile`", '--format', 'TSV');
    expect(harmless.code).toBe(0);
    expect(harmless.out).toBe('into outfile\n');
  });

  it('bounds the rows a query reads, its time and its memory, as configured', async () => {
    const run = (sql: string, env: Record<string, string>) => aifiHere(['query', sql], { AIFI_DATA_DIR: dir.path, ...env });
    const rows = await run('SELECT count() FROM numbers(1e11)', {});
    expect(rows.code).toBe(1);
    expect(rows.err).toMatch(/max_rows_to_read/);
    const time = await run('SELECT count() FROM numbers(1e10) WHERE NOT ignore(sipHash64(number))', { AIFI_QUERY_MAX_SECONDS: '1' });
    expect(time.code).toBe(1);
    expect(time.err).toMatch(/TIMEOUT_EXCEEDED/);
    const memory = await run('SELECT groupArray(number) FROM numbers(20000000)', { AIFI_QUERY_MAX_MEMORY_BYTES: String(16 * 1024 * 1024) });
    expect(memory.code).toBe(1);
    expect(memory.err).toMatch(/MEMORY_LIMIT_EXCEEDED|memory limit/i);
  });

  it('keeps the data folder and every file the embedded ClickHouse writes private to its user', async () => {
    const { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const data = join(dir.path, 'private');
    // As an earlier version left it: a readable folder with a readable file in it.
    mkdirSync(join(data, 'clickhouse'), { recursive: true, mode: 0o755 });
    chmodSync(data, 0o755);
    writeFileSync(join(data, 'clickhouse', 'left-over.txt'), 'x', { mode: 0o644 });
    const result = await aifiHere(['migrate'], { AIFI_DATA_DIR: data });
    expect(result.code, result.err).toBe(0);
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

  it('answers a bad call with usage and a bad configuration with its reason', async () => {
    expect((await aifi('frobnicate')).code).toBe(2);
    const result = await aifiHere(['migrate'], { AIFI_PORT: '-1' });
    expect(result.code).toBe(1);
    expect(result.err).toContain('AIFI_PORT');
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

describe('aifi cost', () => {
  it('refuses to start on a bad contracts file, naming each problem without a stack trace', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = `${dir.path}/contracts.json`;
    writeFileSync(
      file,
      JSON.stringify({
        products: {
          bonexpert: { purchase: 'joint', price: { model: 'per_study', tiering: 'graduated', tiers: [{ upTo: 500, cents: 600 }, { upTo: 200, cents: 450 }, { upTo: 900, cents: 300 }] } },
          rbfracture: { purchase: 'together', price: { model: 'per_study', tiering: 'all_units', tiers: [{ upTo: null, cents: 2.5 }] } },
          'cina-ipe': { purchase: 'joint', price: { model: 'subscription' } },
          xray3000: { purchase: 'joint', price: { model: 'licence', per: 'hospital', tiering: 'all_units', tiers: [{ upTo: null, cents: 100 }] } },
        },
        implementation: { jointCents: -5 },
        platform: { yearlyCents: 25_000_000, byVolume: 1.5, individualYearlyCents: 9_000_000 },
      }),
    );
    // In this process: the refusal to start as a process of its own is checked above for the viewer tokens file.
    const result = await aifiHere(['up', '--no-simulate', '--port', '0', '--dicom-port', '0'], { AIFI_DATA_DIR: dir.path, AIFI_CONTRACTS_FILE: file, AIFI_LOG_LEVEL: 'silent' });
    expect(result.code).toBe(1);
    expect(result.err).toContain(`invalid contracts file ${file}`);
    expect(result.err).toMatch(/products\.bonexpert\.price\.tiers\.1\.upTo: must be above the tier before \(500\)/);
    expect(result.err).toMatch(/products\.bonexpert\.price\.tiers\.2\.upTo: the last tier must have upTo null/);
    expect(result.err).toMatch(/products\.rbfracture\.purchase: /);
    expect(result.err).toMatch(/products\.rbfracture\.price\.tiers\.0\.cents: must be a whole number of cents/);
    expect(result.err).toMatch(/products\.cina-ipe\.price\.model: /);
    expect(result.err).toMatch(/products\.xray3000: unknown product xray3000 \(the catalogue: bonexpert, /);
    expect(result.err).toMatch(/implementation\.jointCents: must not be negative/);
    expect(result.err).toMatch(/implementation\.individualCents: /);
    expect(result.err).toMatch(/platform\.byVolume: /);
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(result.out).not.toContain('listening');
  });

  it('plans a larger network from the measured volumes, in a table or as JSON', async () => {
    const data = tempDir('cost-plan');
    const run = (...args: string[]) => aifiHere(args, { AIFI_DATA_DIR: data.path, AIFI_LOG_LEVEL: 'silent' });
    try {
      expect((await run('simulate', '--scenario', 'stable', '--weeks', '6', '--volume-factor', '0.2')).code).toBe(0);
      expect((await run('analytics', 'run')).out).toMatch(/cost_monthly \d+, cost_yearly \d+/);
      const plan = await run('cost', 'plan', '--add', '1', '--like', 'gelre', '--format', 'json');
      expect(plan.code, plan.err).toBe(0);
      const json = JSON.parse(plan.out) as { months: number; today: { hospitals: { hospital: string; studies: number; joint_eur: number }[] }; plan: { hospitals: { hospital: string; studies: number; joint_eur: number }[]; products: { product: string; tier: number }[] } };
      expect(json.months).toBe(2);
      const gelre = json.today.hospitals.find((h) => h.hospital === 'gelre')!;
      expect(json.plan.hospitals.find((h) => h.hospital === 'planned-1')!.studies).toBe(gelre.studies);
      for (const h of json.today.hospitals) expect(json.plan.hospitals.find((p) => p.hospital === h.hospital)!.joint_eur, h.hospital).toBeLessThan(h.joint_eur);
      expect(json.plan.products.find((p) => p.product === 'cina-ipe')!.tier).toBe(3);
      const text = await run('cost', 'plan', '--add', '3', '--size', 'small', '--from', '2026-02');
      expect(text.code, text.err).toBe(0);
      expect(text.out).toMatch(/Contract year from 2026-01-01 \(2 months measured/);
      expect(text.out).toMatch(/planned-3/);
      expect((await run('report', '--audience', 'lead')).out).toMatch(/Cost, contract year from 2026-01-01/);
      const bad = await run('cost', 'plan', '--add', '1', '--like', 'nowhere');
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/nowhere has no volumes in the contract year from 2026-01-01 \(hospitals: /);
      expect((await run('cost', 'plan')).err).toMatch(/nothing to plan/);
    } finally {
      data.remove();
    }
  });
});
