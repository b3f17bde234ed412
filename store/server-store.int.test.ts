import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseServerInstalled, freePort, needService, startClickHouseServer, type ClickHouseServer } from '../testing/index.ts';
import { openStore, ServerStore, StoreError, type Store } from './index.ts';

// Debian's clickhouse-server is an old (18.16) release: this covers the transport of the server
// adapter on a table that release understands; the full schema is tested on chDB.
const available = await needService('clickhouse-server (Debian package)', clickhouseServerInstalled);

describe.skipIf(!available)('the server store against a real ClickHouse server', () => {
  let server: ClickHouseServer;
  let store: Store;
  const table = `t_${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startClickHouseServer();
    store = await openStore({ kind: 'server', url: server.url, user: 'default', password: '', database: 'aifi_test' });
    await store.exec(`CREATE TABLE ${table} (id UInt32, hospital String, at DateTime, score Float64) ENGINE = MergeTree ORDER BY id`);
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('pings', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    expect(store.location).toBe(`${server.url}/aifi_test`);
  });

  it('inserts rows and selects them back', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, hospital: i % 2 ? 'gelre' : 'radboudumc', at: '2026-03-02 08:00:00', score: i / 1000 }));
    expect(await store.insert(table, rows)).toBe(1000);
    await store.insertJsonEachRow(table, Buffer.from('{"id":5000,"hospital":"zgt","at":"2026-03-02 09:00:00","score":0.5}\n'));
    const counts = await store.query<{ hospital: string; n: number }>(`SELECT hospital, count() AS n FROM ${table} GROUP BY hospital ORDER BY hospital`);
    expect(counts).toEqual([
      { hospital: 'gelre', n: 500 },
      { hospital: 'radboudumc', n: 500 },
      { hospital: 'zgt', n: 1 },
    ]);
    const streamed: number[] = [];
    for await (const row of store.stream<{ id: number }>(`SELECT id FROM ${table} WHERE id >= 998 ORDER BY id`)) streamed.push(row.id);
    expect(streamed).toEqual([998, 999, 5000]);
    expect(await store.queryText(`SELECT count() FROM ${table}`, 'TSV')).toBe('1001\n');
  });

  it('reports wrong SQL as a syntax error that is not retried', async () => {
    const error = await store.query(`SELEC * FROM ${table}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe('syntax');
    expect((error as StoreError).retryable).toBe(false);
    const unknown = await store.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect((unknown as StoreError).kind).toBe('unknown-object');
  });

  it('reports a server that is down as unavailable and retryable', async () => {
    const down = new ServerStore({ url: `http://127.0.0.1:${await freePort()}`, user: 'default', password: '', database: 'default' });
    for (const attempt of [() => down.ping(), () => down.query('SELECT 1'), () => down.insert('x', [{ a: 1 }])]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).kind).toBe('unavailable');
      expect((error as StoreError).retryable).toBe(true);
    }
    await down.close();
  });

  it('refuses writes when opened read-only', async () => {
    const ro = await openStore({ kind: 'server', url: server.url, user: 'default', password: '', database: 'aifi_test' }, { readonly: true });
    const error = await ro.exec(`INSERT INTO ${table} VALUES (1, 'x', now(), 0)`).catch((e: unknown) => e);
    expect((error as StoreError).kind).toBe('readonly');
    expect(await ro.query(`SELECT count() AS n FROM ${table}`)).toEqual([{ n: 1001 }]);
    await ro.close();
  });
});
