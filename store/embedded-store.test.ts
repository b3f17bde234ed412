import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/index.ts';
import { EmbeddedStore, loadMigrations, migrate, MigrationError, schemaVersion, StoreError, tabSeparatedLine } from './index.ts';

const dir = tempDir('store');
let store: EmbeddedStore;

beforeAll(() => {
  store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

describe('migrations', () => {
  it('apply once, record the version, and are a no-op the second time', async () => {
    const all = loadMigrations();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const first = await migrate(store);
    expect(first.applied).toEqual(all.map((m) => m.name));
    expect(first.current).toBe(all.at(-1)!.version);
    const second = await migrate(store);
    expect(second.applied).toEqual([]);
    expect(await schemaVersion(store)).toBe(first.current);
    const tables = await store.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['events', 'lifecycle', 'lifecycle_mv', 'study_product_lifecycle', 'schema_migrations']));
  });

  it('names a failing migration and does not advance the recorded version', async () => {
    const migrations = join(dir.path, 'bad-migrations');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '0001_good.sql'), 'CREATE TABLE IF NOT EXISTS t_good (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    writeFileSync(join(migrations, '0002_broken.sql'), 'CREATE TABLE IF NOT EXISTS t_ok (x UInt8) ENGINE = MergeTree ORDER BY x;\nCREATE TABLE t_bad (x NoSuchType) ENGINE = MergeTree ORDER BY x;\n');
    const error = await migrate(store, loadMigrations(migrations), 'test_ledger').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/migration 0002_broken failed at statement 2: .*NoSuchType/);
    const recorded = await store.query<{ version: number }>('SELECT version FROM test_ledger ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual([1]);
    const again = await migrate(store, loadMigrations(migrations), 'test_ledger').catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/migration 0002_broken failed/);
  });
});

describe('queries', () => {
  it('bind parameters instead of interpolating them', async () => {
    const rows = await store.query<{ s: string; n: number }>('SELECT {s:String} AS s, {n:UInt32} + 1 AS n', { s: "O'Brien; DROP TABLE events", n: 41 });
    expect(rows).toEqual([{ s: "O'Brien; DROP TABLE events", n: 42 }]);
  });

  it('stream rows of a large result', async () => {
    let count = 0;
    let sum = 0;
    for await (const row of store.stream<{ number: number }>('SELECT number FROM numbers({n:UInt64})', { n: 200_000 })) {
      count += 1;
      sum += row.number;
    }
    expect(count).toBe(200_000);
    expect(sum).toBe((199_999 * 200_000) / 2);
  });

  it('classify a syntax error and an unknown table, neither retryable', async () => {
    const syntax = await store.query('SELEC 1').catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(StoreError);
    expect((syntax as StoreError).kind).toBe('syntax');
    expect((syntax as StoreError).retryable).toBe(false);
    const unknown = await store.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect((unknown as StoreError).kind).toBe('unknown-object');
  });

  it('print a result in a ClickHouse format', async () => {
    expect(await store.queryText('SELECT 1 AS a, 2 AS b', 'CSVWithNames')).toBe('"a","b"\n1,2\n');
  });
});

describe('a bulk TabSeparated insert', () => {
  it('stores what a JSONEachRow insert stores: escapes, nulls, and a missing field as the default', async () => {
    await store.exec("CREATE TABLE tsv_check (id UInt32, s String DEFAULT 'd', n Nullable(Float32), k UInt16 DEFAULT 7) ENGINE = MergeTree ORDER BY id");
    const rows = [
      { id: 1, s: 'tab\there, line\nbreak, back\\slash, "quotes" and {"json": "x\\"y"}', n: 0.25, k: 3 },
      { id: 2, n: null },
      { id: 3, s: '', n: 1e-7 },
    ];
    const columns = ['id', 's', 'n', 'k'];
    await store.insertTabSeparated('tsv_check', columns, Buffer.from(rows.map((r) => tabSeparatedLine(r, columns)).join('')));
    const viaTsv = await store.query('SELECT * FROM tsv_check ORDER BY id');
    await store.exec('TRUNCATE TABLE tsv_check');
    await store.insert('tsv_check', rows);
    expect(viaTsv).toEqual(await store.query('SELECT * FROM tsv_check ORDER BY id'));
    expect(viaTsv[1]).toEqual({ id: 2, s: 'd', n: null, k: 7 });
  });

  it('refuses a field that is not a column, and a value it cannot write, rather than drop it', () => {
    expect(() => tabSeparatedLine({ id: 1, other: 'x' }, ['id'])).toThrow(/not columns \(other\)/);
    expect(() => tabSeparatedLine({ id: true }, ['id'])).toThrow(/cannot write boolean/);
  });
});

describe('the data directory', () => {
  it('says clearly that another process holds it', () => {
    const script = `
      import { EmbeddedStore } from './store/index.ts';
      try { new EmbeddedStore({ path: process.argv[1] }); console.log('opened'); }
      catch (e) { console.log(e.kind + ': ' + e.message); }`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, store.location], { encoding: 'utf8', cwd: process.cwd() });
    expect(result.stdout).toContain('locked: the embedded ClickHouse data directory');
    expect(result.stdout).toContain('in use by another process');
    expect(result.stdout).toContain(`(pid ${process.pid})`);
  });

  it('removes the RowBinary files a process that died mid-insert left in it, and nothing else', async () => {
    await store.close();
    const leftover = join(store.location, `bulk-999999-7.rowbinary`);
    const other = join(store.location, 'notes.rowbinary');
    writeFileSync(leftover, Buffer.alloc(64));
    writeFileSync(other, 'kept');
    store = new EmbeddedStore({ path: store.location });
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(other)).toBe(true);
  });

  it('opens read-only so that the engine refuses writes', async () => {
    await store.close();
    const ro = new EmbeddedStore({ path: store.location, readonly: true });
    try {
      expect(await ro.query('SELECT count() AS n FROM events')).toEqual([{ n: 0 }]);
      const error = await ro.exec('TRUNCATE TABLE events').catch((e: unknown) => e);
      expect((error as StoreError).kind).toBe('readonly');
    } finally {
      await ro.close();
      store = new EmbeddedStore({ path: store.location });
    }
  });
});
